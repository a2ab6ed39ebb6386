//! 教育 (education): the highest degree on record (學歷).
//!
//! About 30% of people have no record in the national database (no higher education), answered
//! "no record".

use axum::Router;
use chrono::{Datelike, NaiveDate};
use platform_api::departments::{EducationRecord, Operation};
use rand::Rng;

use super::answer::about_a_person;
use super::record::{ym, Person};
use crate::fixtures::pick;
use crate::MockState;

/// The department's routes.
pub fn routes() -> Router<MockState> {
    Router::new().route(
        Operation::EducationRecord.path(),
        about_a_person(Operation::EducationRecord, education_record),
    )
}

const VOCATIONAL_COLLEGES: &[&str] = &[
    "溫州職業技術學院",
    "浙江工貿職業技術學院",
    "浙江東方職業技術學院",
    "溫州科技職業學院",
];
const UNIVERSITIES: &[&str] = &[
    "溫州大學",
    "溫州醫科大學",
    "浙江大學",
    "浙江工業大學",
    "寧波大學",
    "杭州電子科技大學",
    "溫州商學院",
];
/// The first year graduate degrees were awarded under the 1980 degree regulations.
const GRADUATE_DEGREES_FROM: i32 = 1982;
/// Share of people with a higher-education record.
const WITH_RECORD: f64 = 0.7;

fn education_record(p: &Person<'_>) -> Option<EducationRecord> {
    let mut rng = p.rng();
    if !rng.gen_bool(WITH_RECORD) {
        return None;
    }
    // Degree and the age at graduation it usually comes with.
    let (degree, age, schools) = match rng.gen_range(0..20) {
        0..=5 => ("大專", 21, VOCATIONAL_COLLEGES),
        6..=15 => ("本科", 22, UNIVERSITIES),
        16..=18 => ("碩士", 25, UNIVERSITIES),
        _ => ("博士", 28, UNIVERSITIES),
    };
    // Degrees above the bachelor's were awarded again only from 1981, so people born before
    // the late 1950s stop at 本科.
    let (degree, age) = if age > 22 && p.citizen.birth_date.year() + age < GRADUATE_DEGREES_FROM {
        ("本科", 22)
    } else {
        (degree, age)
    };
    // Graduation in June or July of the year the person reached that age.
    let graduated =
        NaiveDate::from_ymd_opt(p.citizen.birth_date.year() + age, rng.gen_range(6..=7), 1)?;
    if graduated >= p.as_of {
        return None;
    }
    let school = pick(&mut rng, schools);
    Some(EducationRecord {
        highest_degree: degree.to_string(),
        school: school.to_string(),
        graduated_at: ym(graduated),
        // School code, year of graduation, then a serial: eighteen digits as on the real ones.
        certificate_number: format!(
            "{:05}{}{:09}",
            rng.gen_range(10_000..14_000),
            graduated.format("%Y"),
            rng.gen_range(0..1_000_000_000u32)
        ),
    })
}
