//! 教育 (education): the highest degree on record (学历).
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
    "温州职业技术学院",
    "浙江工贸职业技术学院",
    "浙江东方职业技术学院",
    "温州科技职业学院",
];
const UNIVERSITIES: &[&str] = &[
    "温州大学",
    "温州医科大学",
    "浙江大学",
    "浙江工业大学",
    "宁波大学",
    "杭州电子科技大学",
    "温州商学院",
];
/// The first year graduate degrees were awarded under the 1980 degree regulations.
const GRADUATE_DEGREES_FROM: i32 = 1982;
/// Share of people with a higher-education record.
const WITH_RECORD: f64 = 0.7;

pub(super) fn education_record(p: &Person<'_>) -> Option<EducationRecord> {
    let mut rng = p.rng();
    if !rng.gen_bool(WITH_RECORD) {
        return None;
    }
    // Degree and the age at graduation it usually comes with.
    let (degree, age, schools) = match rng.gen_range(0..20) {
        0..=5 => ("大专", 21, VOCATIONAL_COLLEGES),
        6..=15 => ("本科", 22, UNIVERSITIES),
        16..=18 => ("硕士", 25, UNIVERSITIES),
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
