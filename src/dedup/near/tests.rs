//! Tests of `dedup::near`: band keys against their first version, the MinHash
//! functions against independent ones, the lead, and story verdicts.

use super::*;

/// The band keys as first written (a vector of minima, chunked),
/// against which the allocation-free version is checked.
fn reference_band_keys(set: &[u64], hashes: usize, first: usize) -> Vec<i64> {
    let mins: Vec<u64> = (first..first + hashes)
        .map(|i| {
            let (xor, times) = permutation(i);
            set.iter().map(|s| (s ^ xor).wrapping_mul(times)).min().unwrap_or(u64::MAX)
        })
        .collect();
    mins.chunks(ROWS)
        .enumerate()
        .map(|(band, rows)| {
            let mut key = (((band + first / ROWS) as u64).to_le_bytes()).to_vec();
            rows.iter().for_each(|r| key.extend_from_slice(&r.to_le_bytes()));
            xxh3_64(&key) as i64
        })
        .collect()
}

/// Two sets of 60 random stem hashes with Jaccard index `j`, 2,000
/// times: how often each function's minima agree (MinHash: `j`), and
/// how often the pair shares a band (independent functions:
/// 1 − (1 − j²)¹²).
fn minhash_rates(j: f64) -> (f64, f64) {
    let mut state = 0x2545_F491_4F6C_DD1Du64;
    let mut next = || {
        state = mix(state.wrapping_add(0x9E37_79B9_7F4A_7C15));
        state
    };
    let (n, trials) = (60usize, 2000);
    // |A ∩ B| = j · |A ∪ B| with |A| = |B| = n.
    let shared = (2.0 * j * n as f64 / (1.0 + j)).round() as usize;
    let (mut agree, mut banded) = (0usize, 0usize);
    for _ in 0..trials {
        let common: Vec<u64> = (0..shared).map(|_| next()).collect();
        let a: Vec<u64> = common.iter().copied().chain((shared..n).map(|_| next())).collect();
        let b: Vec<u64> = common.iter().copied().chain((shared..n).map(|_| next())).collect();
        for i in 0..HASHES {
            let (xor, times) = permutation(i);
            let min = |set: &[u64]| set.iter().map(|s| (s ^ xor).wrapping_mul(times)).min();
            agree += usize::from(min(&a) == min(&b));
        }
        let (mut ka, mut kb) = (Vec::new(), Vec::new());
        band_keys(&a, HASHES, 0, &mut ka);
        band_keys(&b, HASHES, 0, &mut kb);
        banded += usize::from(ka.iter().zip(&kb).any(|(x, y)| x == y));
    }
    (agree as f64 / (trials * HASHES) as f64, banded as f64 / trials as f64)
}

#[test]
fn the_permutations_behave_as_independent_minhash_functions() {
    for j in [0.2, 0.4, 0.6] {
        let (agree, banded) = minhash_rates(j);
        let shared = (2.0 * j * 60.0 / (1.0 + j)).round();
        let j = shared / (120.0 - shared);
        let want = 1.0 - (1.0 - j * j).powi((HASHES / ROWS) as i32);
        assert!((agree - j).abs() < 0.02, "j={j:.3}: functions agree {agree:.3}");
        assert!((banded - want).abs() < 0.04, "j={j:.3}: share a band {banded:.3}, independent functions {want:.3}");
    }
}

proptest::proptest! {
    #[test]
    fn band_keys_are_those_of_the_reference(set in proptest::collection::vec(proptest::num::u64::ANY, 0..80)) {
        for (hashes, first) in [(HASHES, 0), (TITLE_HASHES, HASHES)] {
            let mut keys = Vec::new();
            band_keys(&set, hashes, first, &mut keys);
            proptest::prop_assert_eq!(keys, reference_band_keys(&set, hashes, first));
        }
    }
}

proptest::proptest! {
    /// The borrowed prefix and the fallback both equal the words
    /// joined by single spaces (any whitespace, Unicode included).
    #[test]
    fn lead_is_the_first_words_single_spaced(text in "[ а-яa-z0-9\n\t\u{a0}\u{2003}]{0,600}") {
        let want = text.split_whitespace().take(LEAD_WORDS).collect::<Vec<_>>().join(" ");
        proptest::prop_assert_eq!(lead(&text), want);
    }

    /// Text that is nearly collapsed (the borrowed prefix), with
    /// now and then a separator it must not take for a single space.
    #[test]
    fn a_nearly_collapsed_text_gives_the_same_lead(text in "([а-яa-zәқ0-9.,]{1,6}( | | | | | | | |\u{85}|\u{3000}|\u{1680}|\u{2028}|  |\t|\n)){0,80}[а-я]{0,3}") {
        let want = text.split_whitespace().take(LEAD_WORDS).collect::<Vec<_>>().join(" ");
        proptest::prop_assert_eq!(lead(&text), want);
    }
}

fn same(a: (&str, &str), b: (&str, &str)) -> Verdict {
    compare(&profile(a.0, a.1, &[]), &profile(b.0, b.1, &[]), false)
}

#[test]
fn rewritten_headline_with_attribution_is_the_same_story() {
    let v = same(
        (
            "Генсек НАТО призвал Грузию готовиться к членству",
            "Генеральный секретарь НАТО Йенс Столтенберг призвал Грузию готовиться к членству в Альянсе, передает Liter.kz.",
        ),
        (
            "Генсек НАТО призвал Грузию ускорить подготовку к членству в Альянсе",
            "Генеральный секретарь НАТО Йенс Столтенберг призвал Грузию ускорить подготовку к членству в Альянсе, сообщает Kazinform.",
        ),
    );
    assert!(v.same, "{v:?}");
}

#[test]
fn vetoes() {
    let v = same(("Прогноз погоды на 8 ноября", "В Алматы снег."), ("Прогноз погоды на 16 ноября", "В Алматы снег."));
    assert!(!v.same && v.rule == "veto:numbers", "{v:?}");
    let v = same(("Курс доллара на сегодня", "Нацбанк установил курс."), ("Курс доллара на сегодня вырос", "Нацбанк установил курс."));
    assert!(!v.same && v.rule == "veto:template", "{v:?}");
    let a = profile("Токаев подписал закон о бюджете", "Президент подписал закон о республиканском бюджете", &[]);
    assert!(!compare(&a, &a, true).same, "two articles of one site are never merged on wording");
    assert!(compare(&a, &a, false).same);
}

/// The templated headlines that an unseen set found merged: alike in
/// every word but the quoted name (or the number).
#[test]
fn quoted_names_and_decimals_that_differ_keep_stories_apart() {
    let lead = "Жители города могут проголосовать на сайте акимата до конца недели, итоги подведут в понедельник на заседании комиссии.";
    let v = same(
        ("Голосуйте за проект «Зеленый двор» в конкурсе акимата", lead),
        ("Голосуйте за проект «Светлая улица» в конкурсе акимата", lead),
    );
    assert!(!v.same && v.rule == "veto:names", "{v:?}");
    let v = same(
        ("Голосуйте за проект \"Зеленый двор\" в конкурсе акимата", lead),
        ("Голосуйте за проект «Зеленый двор» в конкурсе акимата", lead),
    );
    assert!(v.same, "the same name in other quotation marks: {v:?}");
    // Long quotes are speech, which copies quote differently: no veto.
    let v = same(
        ("Токаев: «Мы продолжим реформы несмотря ни на какие трудности»", lead),
        ("Токаев заявил, что «реформы будут продолжены в любом случае и в срок»", lead),
    );
    assert_ne!(v.rule, "veto:names", "{v:?}");
    let v = same(
        ("Нацбанк снизил базовую ставку до 12,5 процента", "Решение принято на заседании."),
        ("Нацбанк снизил базовую ставку на 1,5 процента", "Решение принято на заседании."),
    );
    assert!(!v.same && v.rule == "veto:numbers", "{v:?}");
    let numbers: Vec<&str> = title_numbers("ставка 012,5 и 0,5 и 1.5 и 2020. и 5 000").collect();
    assert_eq!(numbers, ["12,5", "0,5", "1.5", "2020", "5", "0"]);
}

#[test]
fn different_stories_on_one_topic_stay_apart() {
    let v = same(
        ("Мажилис одобрил поправки в Налоговый кодекс", "Депутаты одобрили в первом чтении поправки для малого бизнеса."),
        ("Сенат вернул в мажилис закон о банках", "Сенаторы не согласились с нормами о банковской тайне."),
    );
    assert!(!v.same, "{v:?}");
}

#[test]
fn profile_bytes_round_trip() {
    let p = profile("Курс доллара 450 тенге", "Нацбанк установил курс на сегодня по итогам торгов", &[]);
    assert_eq!(Profile::from_bytes(&p.to_bytes()), Some(p.clone()));
    let named = profile("Матч «Кайрат» — «Астана» перенесли", "Игра состоится в воскресенье на Центральном стадионе в Алматы", &[]);
    assert!(!named.names.is_empty());
    assert_eq!(Profile::from_bytes(&named.to_bytes()), Some(named.clone()));
    assert!(!named.entities.is_empty() && !named.places.is_empty());
    // A profile stored before names were kept reads with none (nor entities).
    let forms = [&named.title4, &named.title6, &named.title_words, &named.title3].iter().map(|l| 4 + 4 * l.len()).sum::<usize>();
    let later = [&named.names, &named.entities, &named.places, &named.dates, &named.capitalised];
    let old = &named.to_bytes()[..named.to_bytes().len() - forms - later.iter().map(|l| 4 + 8 * l.len()).sum::<usize>()];
    let bare = Profile {
        names: Vec::new(),
        entities: Vec::new(),
        places: Vec::new(),
        dates: Vec::new(),
        capitalised: Vec::new(),
        title4: Vec::new(),
        title6: Vec::new(),
        title_words: Vec::new(),
        title3: Vec::new(),
        ..named.clone()
    };
    assert_eq!(Profile::from_bytes(old), Some(bare));
    // One stored before the entities reads with its names and no entities.
    let with_names = &named.to_bytes()[..named.to_bytes().len() - forms - later[1..].iter().map(|l| 4 + 8 * l.len()).sum::<usize>()];
    let named_only = Profile {
        entities: Vec::new(),
        places: Vec::new(),
        dates: Vec::new(),
        capitalised: Vec::new(),
        title4: Vec::new(),
        title6: Vec::new(),
        title_words: Vec::new(),
        title3: Vec::new(),
        ..named.clone()
    };
    assert_eq!(Profile::from_bytes(with_names), Some(named_only));
    // One stored before the headline model's forms reads without them.
    let before_forms = &named.to_bytes()[..named.to_bytes().len() - forms];
    let entities_only = Profile { title4: Vec::new(), title6: Vec::new(), title_words: Vec::new(), title3: Vec::new(), ..named };
    assert_eq!(Profile::from_bytes(before_forms), Some(entities_only));
    assert_eq!(Profile::from_bytes(&p.to_bytes()[..5]), None);
    assert_eq!(Profile::from_bytes(&[]), None);
}

#[test]
fn similar_profiles_share_a_band() {
    let a = profile("Генсек НАТО призвал Грузию готовиться к членству", "Столтенберг призвал Грузию готовиться к членству в Альянсе", &[]);
    let b = profile(
        "Генсек НАТО призвал Грузию ускорить подготовку к членству",
        "Столтенберг призвал Грузию ускорить подготовку к членству в Альянсе",
        &[],
    );
    let (ba, bb) = (bands(&a), bands(&b));
    assert_eq!(ba.len(), (HASHES + TITLE_HASHES) / ROWS);
    assert!(ba.iter().any(|k| bb.contains(k)));
}

/// A lead shared by two templated items, so that only the vetoes keep
/// them apart.
const SHARED_LEAD: &str =
    "Сообщение опубликовано на официальном сайте ведомства, подробности уточняются у пресс-службы и будут объявлены позднее.";

#[test]
fn bracketed_tags_and_names_veto_only_when_each_side_names_its_own() {
    // "[РЕЛИЗ] A" and "[РЕЛИЗ] B": the tag is shared, the companies are not.
    let v = same(
        ("[РЕЛИЗ] Kaspi представила сервис для малого бизнеса", "Компания Kaspi представила новый сервис для малого бизнеса в регионах."),
        ("[РЕЛИЗ] Halyk представил сервис для малого бизнеса", "Компания Halyk представила новый сервис для малого бизнеса в регионах."),
    );
    assert!(!v.same && v.rule == "veto:proper", "{v:?}");
    // Quoted names: one shared, one each of its own.
    let v = same(
        ("Матч «Кайрат» — «Астана» перенесли на воскресенье", SHARED_LEAD),
        ("Матч «Кайрат» — «Тобол» перенесли на воскресенье", SHARED_LEAD),
    );
    assert!(!v.same && v.rule == "veto:names", "{v:?}");
}

#[test]
fn proper_nouns_each_side_names_alone_keep_stories_apart_in_russian_and_kazakh() {
    let v = same(
        ("Аким Павлодара Асаин Байханов провел прием граждан", SHARED_LEAD),
        ("Аким Павлодара Абылкаир Скаков провел прием граждан", SHARED_LEAD),
    );
    assert!(!v.same && v.rule == "veto:proper", "{v:?}");
    let v = same(
        ("Президент Қасым-Жомарт Тоқаев Ақордада Жапония елшісін қабылдады", SHARED_LEAD),
        ("Президент Қасым-Жомарт Тоқаев Ақордада Корея елшісін қабылдады", SHARED_LEAD),
    );
    assert!(!v.same && v.rule == "veto:proper", "{v:?}");
    // A retelling that names the same people in other case forms merges.
    let v = same(
        (
            "Токаев провел переговоры с Мирзиёевым в Ташкенте",
            "Президент Казахстана Касым-Жомарт Токаев и президент Узбекистана Шавкат Мирзиёев обсудили торговлю и транзит.",
        ),
        (
            "Касым-Жомарт Токаев и Шавкат Мирзиёев провели переговоры в Ташкенте",
            "Президент Казахстана Касым-Жомарт Токаев и президент Узбекистана Шавкат Мирзиёев обсудили торговлю и транзит.",
        ),
    );
    assert!(v.same, "{v:?}");
}

#[test]
fn the_same_event_in_two_towns_is_two_stories() {
    let lead = |town: &str| {
        format!(
            "Пожар на складе стройматериалов в {town} потушили спасатели ДЧС, площадь возгорания составила 300 квадратных метров, пострадавших нет."
        )
    };
    let v = same(("Крупный пожар потушили на складе", &lead("Таразе")), ("Крупный пожар потушили на складе", &lead("Караганде")));
    assert!(!v.same && v.rule == "veto:places", "{v:?}");
    // Kazakh case forms of one town meet.
    let kk =
        |town: &str| format!("Өрт сөндірушілер {town} қоймадағы өртті сөндірді, зардап шеккендер жоқ, деп хабарлайды ТЖ департаменті.");
    let v = same(("Қоймадағы өрт сөндірілді", &kk("Таразда")), ("Қоймадағы өрт сөндірілді", &kk("Тараз қаласында")));
    assert_ne!(v.rule, "veto:places", "{v:?}");
}

#[test]
fn days_and_numbers_that_differ_keep_stories_apart() {
    let lead = |day: &str| {
        format!("Синоптики обещают снег и гололед {day}, температура ночью опустится до минус двенадцати градусов по всей области.")
    };
    let v = same(("Синоптики предупредили о гололеде", &lead("8 ноября")), ("Синоптики предупредили о гололеде", &lead("9 ноября")));
    assert!(!v.same && v.rule == "veto:dates", "{v:?}");
    // Each title has a number the other lacks, though they share one.
    let v = same(("В 2024 году на дорогах погибли 37 человек", SHARED_LEAD), ("В 2024 году на дорогах погибли 7 человек", SHARED_LEAD));
    assert!(!v.same && v.rule == "veto:numbers", "{v:?}");
    // One title adds a number the other lacks: not a veto.
    let v = same(("В 2024 году на дорогах погибли 37 человек", SHARED_LEAD), ("На дорогах погибли 37 человек", SHARED_LEAD));
    assert_ne!(v.rule, "veto:numbers", "{v:?}");
}

#[test]
fn every_veto_can_be_switched_off_for_the_ablation() {
    let a = profile("Прогноз погоды на 8 ноября", "В Алматы снег.", &[]);
    let b = profile("Прогноз погоды на 16 ноября", "В Алматы снег.", &[]);
    let without = Settings { vetoes: Vetoes::ALL.without("numbers"), ..Settings::default() };
    assert_eq!(compare(&a, &b, false).rule, "veto:numbers");
    assert_ne!(compare_with(&a, &b, false, &without).rule, "veto:numbers");
}

#[test]
fn a_town_whose_stem_is_a_common_words_is_still_a_place() {
    // "Новосибирск" and "новости" share the stem "новос": the words that
    // name nothing were matched by stem, and the town was dropped.
    let a = profile("Первый Patriot в Турции приведен в боевую готовность.", "", &[]);
    let b = profile("Первый Patriot в Новосибирске приведен в боевую готовность.", "", &[]);
    assert_eq!(compare(&a, &b, false).rule, "veto:proper");
    assert!(!b.places.is_empty());
    let news = profile("НОВОСТИ: Сенат принял закон о местном самоуправлении", "", &[]);
    assert!(!news.capitalised.contains(&super::entities::stem("новости").0), "a heading word names nothing: {news:?}");
}

#[test]
fn a_count_in_words_and_one_in_digits_are_compared() {
    let words = profile("При пожаре в новгородском интернате погибли семь человек", "", &[]);
    let digits = profile("При пожаре в новгородском интернате погибли 37 человек", "", &[]);
    let same = profile("При пожаре в новгородском интернате погибли 7 человек", "", &[]);
    assert_eq!(compare(&words, &digits, false).rule, "veto:numbers");
    assert_ne!(compare(&words, &same, false).rule, "veto:numbers", "seven is 7");
    assert!(profile("Один из лидеров оппозиции задержан в Минске", "", &[]).numbers.is_empty(), "«один из» is no count");
    // One number in two words; a word before "тысяч" is part of a larger one.
    let spelled = profile("Двадцать пять человек пострадали при пожаре в Актобе", "", &[]);
    let digits = profile("25 человек пострадали при пожаре в Актобе", "", &[]);
    assert_eq!(spelled.numbers, digits.numbers);
    assert!(profile("Пять тысяч жителей Актобе остались без света", "", &[]).numbers.is_empty());
}

#[test]
fn a_report_and_its_denial_are_two_stories() {
    let said = profile("КНДР объявила войну Южной Корее", "", &[]);
    let denied = profile("КНДР не объявляла войну Южной Корее", "", &[]);
    assert!(denied.negated && !said.negated);
    assert_eq!(compare(&said, &denied, false).rule, "veto:negation");
    let back = Profile::from_bytes(&denied.to_bytes()).unwrap();
    assert!(back.negated && !back.template, "the flag survives the stored form");
    let both = profile("КНДР не объявляла войну Корее", "", &[]);
    assert_ne!(compare(&denied, &both, false).rule, "veto:negation");
    // Phrases that deny nothing, a quoted title, Kazakh "не" (what).
    for title in [
        "На трассе погибли не менее пяти человек",
        "Водитель не справился с управлением и съехал в кювет",
        "Самолет едва не столкнулся с беспилотником",
        "В прокат выходит «Не время умирать»",
        "Не время умирать: в прокат выходит новый фильм",
        "Астанада не болып жатыр: күн тәртібі",
    ] {
        let p = profile(title, "", &[]);
        assert_eq!(p.negated, title.starts_with("Не время"), "{title}");
    }
}

#[test]
fn a_capital_after_an_opening_quote_is_a_name() {
    let a = profile("ЦСКА вышел в финал Кубка России", "", &[]);
    let b = profile("«Анжи» вышел в финал Кубка России", "", &[]);
    assert_eq!(compare(&a, &b, false).rule, "veto:proper");
}

/// Bare headlines that share their words in other forms: the five-letter
/// stems alone (Jaccard 0.67 here, where 0.8 merged) kept these apart; the
/// headline model, which also reads four- and six-letter prefixes, whole
/// words and trigrams, merges the retelling and keeps apart a story that
/// shares most topic words but tells another event.
#[test]
fn headline_model_merges_a_retold_headline_and_not_a_neighbour() {
    let bare = |t: &str| profile(t, "", &[]);
    let jaccard = |x: &Profile, y: &Profile| {
        let both = overlap(&x.stems, &y.stems);
        both as f64 / (x.stems.len() + y.stems.len() - both) as f64
    };
    let a = bare("Правительство утвердило новые правила въезда иностранцев");
    let b = bare("Правительство утвердило правила въезда для иностранных граждан");
    let v = compare(&a, &b, false);
    assert!(v.same && v.rule == "near-headline", "{v:?}");
    assert!(jaccard(&a, &b) < 0.8, "the stems alone would have merged it");
    let c = bare("Школьники Хубэя вернулись к учебе после эпидемии");
    let d = bare("Школьники Хубэя вернулись к учебе после каникул, а в Ухане закрыли рынки");
    let v = compare(&c, &d, false);
    assert!(!v.same && v.headline.is_some(), "the model kept them apart: {v:?}");
}
