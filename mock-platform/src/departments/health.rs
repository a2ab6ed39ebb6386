//! 卫健 (health): the health card (健康卡) and the vaccinations on it; the births the
//! hospitals registered (出生医学证明's data), found by either parent.

use axum::Router;
use chrono::NaiveDate;
use platform_api::departments::{Birth, BirthRecord, HealthCard, Operation, Vaccination};
use rand::Rng;

use super::answer::about_a_person;
use super::record::{day_between, sub_months, ymd, Person};
use crate::MockState;

/// The department's routes.
pub fn routes() -> Router<MockState> {
    Router::new()
        .route(
            Operation::HealthCard.path(),
            about_a_person(Operation::HealthCard, health_card),
        )
        .route(
            Operation::BirthRecord.path(),
            about_a_person(Operation::BirthRecord, birth_record),
        )
}

/// Wenzhou's hospitals with maternity wards, and the county each is in.
const MATERNITY: [(&str, &str); 5] = [
    ("温州医科大学附属第二医院", "330302"),
    ("温州市人民医院", "330302"),
    ("温州市中心医院", "330302"),
    ("瑞安市人民医院", "330381"),
    ("乐清市人民医院", "330382"),
];

/// A birth in the last six weeks for about half of those of an age to have one (22–45): the
/// hospital registered it with both parents' ID numbers, so either parent finds it.
fn birth_record(p: &Person<'_>) -> Option<BirthRecord> {
    let mut rng = p.rng();
    if !(22..=45).contains(&p.age()) || !rng.gen_bool(0.5) {
        return None;
    }
    let (hospital, county) = MATERNITY[rng.gen_range(0..MATERNITY.len())];
    let born = p.as_of - chrono::Duration::days(rng.gen_range(3..=42));
    let certified = rng.gen_bool(0.6);
    Some(BirthRecord {
        births: vec![Birth {
            sex: if rng.gen_bool(0.5) { "1" } else { "2" }.to_string(),
            birth_date: ymd(born),
            birth_time: format!("{:02}:{:02}", rng.gen_range(0..24), rng.gen_range(0..60)),
            weight_grams: rng.gen_range(2500..=4200),
            hospital: hospital.to_string(),
            county_code: county.to_string(),
            certificate_number: certified
                .then(|| format!("Q33{:09}", rng.gen_range(0..1_000_000_000u32))),
        }],
    })
}

fn date(y: i32, m: u32, d: u32) -> NaiveDate {
    NaiveDate::from_ymd_opt(y, m, d).unwrap_or_default()
}

/// Every resident has a card (the electronic health card is issued on first use of any
/// hospital); the vaccinations are the adult ones most people have had.
fn health_card(p: &Person<'_>) -> Option<HealthCard> {
    let mut rng = p.rng();
    let mut vaccinations = Vec::with_capacity(6);
    // The 2021 COVID-19 campaign: two doses a month apart, most people a booster later.
    if rng.gen_bool(0.9) {
        let first = day_between(&mut rng, date(2021, 3, 1), date(2021, 9, 30));
        let doses = if rng.gen_bool(0.8) { 3 } else { 2 };
        for dose in 0..doses {
            let when = match dose {
                0 => first,
                1 => first + chrono::Duration::days(rng.gen_range(21..=56)),
                _ => first + chrono::Duration::days(rng.gen_range(180..=300)),
            };
            vaccinations.push(Vaccination {
                vaccine: "新冠病毒灭活疫苗（Vero细胞）".to_string(),
                date: ymd(when),
            });
        }
    }
    // Seasonal flu shots in some of the last few autumns.
    for years_back in 1..=3u32 {
        if rng.gen_bool(0.3) {
            let autumn = sub_months(p.as_of, years_back * 12);
            vaccinations.push(Vaccination {
                vaccine: "流感疫苗".to_string(),
                date: ymd(day_between(
                    &mut rng,
                    autumn,
                    autumn + chrono::Duration::days(60),
                )),
            });
        }
    }
    vaccinations.retain(|v| v.date.as_str() < ymd(p.as_of).as_str());
    vaccinations.sort_by(|a, b| b.date.cmp(&a.date));
    Some(HealthCard {
        card_number: format!(
            "{}{:012}",
            p.division.code,
            rng.gen_range(0..1_000_000_000_000u64)
        ),
        status: "正常".to_string(),
        vaccinations,
    })
}
