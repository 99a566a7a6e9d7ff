//! Language of an item from its letters: `kk`, `ru`, `uk`, `be` or `en`.
//!
//! Kazakh is the only one of these that uses ә ғ қ ң ө ұ ү һ; Ukrainian has
//! є ї ґ and і (which Kazakh and Belarusian share, so і alone is weighed
//! after the Kazakh letters, and with ы, which Ukrainian lacks, it is
//! Kazakh); Belarusian alone has ў; Russian is Cyrillic without them; English is Latin. Counting
//! letters in one pass is cheap enough to run on every item, unlike n-gram
//! models. A Russian text that quotes one Kazakh name stays `ru`: Kazakh
//! letters must be a visible share of the Cyrillic ones.

/// The language of `parts` read as one text (a title and a lead, without
/// joining them into a new string), or `None` when they have too few
/// letters to tell.
pub fn detect(parts: &[&str]) -> Option<&'static str> {
    let mut n = Letters::default();
    for part in parts {
        n.count(part);
    }
    let Letters { cyrillic, latin, kazakh, ukrainian, i_dotted, short_u, yery } = n;
    if cyrillic + latin < 3 {
        return None;
    }
    if cyrillic >= latin {
        if kazakh >= 1 && (kazakh * 50 >= cyrillic || (kazakh >= 2 && kazakh * 100 >= cyrillic)) {
            return Some("kk");
        }
        if ukrainian > 0 {
            return Some("uk");
        }
        // ў is Belarusian alone; і is Ukrainian, Belarusian and Kazakh, and
        // of those only Ukrainian has no ы (a Kazakh line can lack its
        // own letters, a Belarusian one rarely lacks ў).
        if short_u > 0 {
            return Some("be");
        }
        if i_dotted * 100 >= cyrillic {
            return Some(if yery > 0 { "kk" } else { "uk" });
        }
        return Some("ru");
    }
    Some("en")
}

/// Letters counted by kind.
#[derive(Default)]
struct Letters {
    cyrillic: usize,
    latin: usize,
    kazakh: usize,
    ukrainian: usize,
    i_dotted: usize,
    short_u: usize,
    yery: usize,
}

impl Letters {
    /// Counts the letters of `text`.
    fn count(&mut self, text: &str) {
        for c in text.chars() {
            match c {
                'ә' | 'Ә' | 'ғ' | 'Ғ' | 'қ' | 'Қ' | 'ң' | 'Ң' | 'ө' | 'Ө' | 'ұ' | 'Ұ' | 'ү' | 'Ү' | 'һ' | 'Һ' => {
                    self.kazakh += 1;
                    self.cyrillic += 1;
                }
                'є' | 'Є' | 'ї' | 'Ї' | 'ґ' | 'Ґ' => {
                    self.ukrainian += 1;
                    self.cyrillic += 1;
                }
                'і' | 'І' => {
                    self.i_dotted += 1;
                    self.cyrillic += 1;
                }
                'ў' | 'Ў' => {
                    self.short_u += 1;
                    self.cyrillic += 1;
                }
                'ы' | 'Ы' => {
                    self.yery += 1;
                    self.cyrillic += 1;
                }
                '\u{0400}'..='\u{04ff}' => self.cyrillic += 1,
                'a'..='z' | 'A'..='Z' => self.latin += 1,
                _ => {}
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Every character of the Cyrillic block and around it is counted as
    /// the kind the letter lists say it is.
    #[test]
    fn letters_are_counted_as_the_characters_they_are() {
        for c in ('\u{0370}'..='\u{0530}').chain('a'..='z').chain('A'..='Z').chain(['1', ' ', 'é', '—', '€', '😀']) {
            let mut n = Letters::default();
            n.count(&format!("{c}x{c}"));
            let kazakh = "әӘғҒқҚңҢөӨұҰүҮһҺ".contains(c);
            let ukrainian = "єЄїЇґҐ".contains(c);
            let dotted = "іІ".contains(c);
            let short_u = "ўЎ".contains(c);
            let yery = "ыЫ".contains(c);
            let cyrillic = ('\u{0400}'..='\u{04ff}').contains(&c);
            let want = (
                2 * usize::from(cyrillic),
                1 + 2 * usize::from(c.is_ascii_alphabetic()),
                2 * usize::from(kazakh),
                2 * usize::from(ukrainian),
                2 * usize::from(dotted),
                2 * usize::from(short_u),
                2 * usize::from(yery),
            );
            assert_eq!((n.cyrillic, n.latin, n.kazakh, n.ukrainian, n.i_dotted, n.short_u, n.yery), want, "{c:?} U+{:04X}", c as u32);
        }
    }

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
            ("Кіеўская вобласць: у Беларусі пачалася ўборка", Some("be")),
            ("Міністэрства аховы здароўя паведаміла пра новыя правілы", Some("be")),
            ("Ілля Кива заявив про відставку", Some("uk")),
            ("Мектеп бітірушілері тестке дайын", Some("kk")),
            ("Kazakhstan signs a new trade agreement", Some("en")),
            ("12:00", None),
        ];
        for (input, want) in cases {
            assert_eq!(detect(&[input]), want, "{input:?}");
        }
    }
}
