//! Language of an item from its letters: `kk`, `ru`, `uk` or `en`.
//!
//! Kazakh is the only one of these that uses ә ғ қ ң ө ұ ү һ; Ukrainian has
//! є ї ґ and і (which Kazakh shares, so і alone is weighed after the Kazakh
//! letters); Russian is Cyrillic without them; English is Latin. Counting
//! letters in one pass is cheap enough to run on every item, unlike n-gram
//! models. A Russian text that quotes one Kazakh name stays `ru`: Kazakh
//! letters must be a visible share of the Cyrillic ones.

/// The language of `text`, or `None` when it has too few letters to tell.
pub fn detect(text: &str) -> Option<&'static str> {
    let (mut cyrillic, mut latin, mut kazakh, mut ukrainian, mut i_dotted) = (0usize, 0usize, 0usize, 0usize, 0usize);
    for c in text.chars() {
        match c {
            'ә' | 'Ә' | 'ғ' | 'Ғ' | 'қ' | 'Қ' | 'ң' | 'Ң' | 'ө' | 'Ө' | 'ұ' | 'Ұ' | 'ү' | 'Ү' | 'һ' | 'Һ' => {
                kazakh += 1;
                cyrillic += 1;
            }
            'є' | 'Є' | 'ї' | 'Ї' | 'ґ' | 'Ґ' => {
                ukrainian += 1;
                cyrillic += 1;
            }
            'і' | 'І' => {
                i_dotted += 1;
                cyrillic += 1;
            }
            '\u{0400}'..='\u{04ff}' => cyrillic += 1,
            'a'..='z' | 'A'..='Z' => latin += 1,
            _ => {}
        }
    }
    if cyrillic + latin < 3 {
        return None;
    }
    if cyrillic >= latin {
        if kazakh >= 1 && (kazakh * 50 >= cyrillic || (kazakh >= 2 && kazakh * 100 >= cyrillic)) {
            return Some("kk");
        }
        if ukrainian > 0 || i_dotted * 100 >= cyrillic {
            return Some("uk");
        }
        return Some("ru");
    }
    Some("en")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn detect_table() {
        let cases = [
            ("Президент Казахстана подписал закон о бюджете", Some("ru")),
            ("Қазақстан Республикасының Президенті заңға қол қойды", Some("kk")),
            ("Мемлекет басшысы Ақордада кездесу өткізді", Some("kk")),
            (
                "Токаев встретился с акимом Алматинской области Қ. Бозумбаевым в Конаеве на совещании по вопросам развития региона",
                Some("ru"),
            ),
            ("Україна перейде на зимовий час у день виборів", Some("uk")),
            ("Kazakhstan signs a new trade agreement", Some("en")),
            ("12:00", None),
        ];
        for (input, want) in cases {
            assert_eq!(detect(input), want, "{input:?}");
        }
    }
}
