//! Tests of `near::entities` on real-looking Russian and Kazakh headlines.

use super::*;

fn stems(words: &[&str]) -> Vec<u64> {
    let mut v: Vec<u64> = words.iter().map(|w| stem(w).0).collect();
    v.sort_unstable();
    v.dedup();
    v
}

#[test]
fn proper_nouns_are_capitalised_words_not_at_a_sentence_start() {
    let e = entities("Токаев встретился с главой Microsoft в Астане", "Президент Казахстана Касым-Жомарт Токаев провел встречу.");
    // "Токаев" starts the title but is capitalised mid-sentence in the lead.
    assert_eq!(e.title, stems(&["Токаев", "Microsoft", "Астане"]));
    let e = entities("Пожар произошел на складе", "Огонь охватил 200 квадратных метров.");
    assert!(e.title.is_empty(), "a capital at the start alone is no name: {e:?}");
    let e = entities("[РЕЛИЗ] Kaspi представила новую услугу", "Компания Kaspi представила услугу для малого бизнеса.");
    assert_eq!(e.title, stems(&["РЕЛИЗ", "Kaspi"]));
    let e = entities("ЦИК Казахстана снял полномочия", "");
    assert_eq!(e.title, stems(&["ЦИК", "Казахстана"]));
    let e = entities("СМИ: Россия может передать Украине корабли", "");
    assert_eq!(e.title, stems(&["Россия", "Украине"]), "a capital after a title's colon is a name; СМИ names nothing");
    let e = entities("Итоги: Как прошли выборы в Астане", "");
    assert_eq!(e.title, stems(&["Астане"]), "a stop word after a colon is none");
}

#[test]
fn places_in_their_case_forms_meet_by_stem() {
    let a = entities("Пожар в Таразе: горит склад", "В Таразе на складе стройматериалов вспыхнул пожар.");
    let b = entities("Пожар в Тараз унес жизни", "Тараз қаласында өрт шықты.");
    assert_eq!(a.places, stems(&["Тараз"]));
    assert_eq!(a.places, b.places);
    let kk = entities("Астанада жаңа мектеп ашылды", "Алматы облысында да мектеп салынады.");
    assert_eq!(kk.places, stems(&["Астана", "Алматы"]), "{kk:?}");
    let region = entities("ДТП в Беляевском районе", "Авария произошла под Винницей.");
    assert_eq!(region.places, stems(&["Беляевском", "Винницей"]));
}

#[test]
fn dates_are_a_day_and_a_month_in_either_language() {
    assert_eq!(entities("Прогноз погоды на 8 ноября", "").dates, [11 * 32 + 8]);
    assert_eq!(entities("Ауа райы: 8 қараша", "").dates, [11 * 32 + 8]);
    assert_eq!(
        entities("Сессия 08.11.2019", "Первое заседание комиссии пройдет 9-го мая, второе 5 марта.").dates,
        [3 * 32 + 5, 5 * 32 + 9, 11 * 32 + 8]
    );
    assert!(entities("В 8 утра", "").dates.is_empty());
    assert!(entities("Ставку снизили до 12.5 процента", "").dates.is_empty(), "a decimal is no date");
    // A dateline's day is when the copy was filed.
    let e = entities("Репертуар «Соловья» перенесут в «Каро»", "Москва. 11 ноября. INTERFAX.RU - Закрытие намечено на 2 декабря.");
    assert_eq!(e.dates, [12 * 32 + 2]);
}
