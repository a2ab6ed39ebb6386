//! 交通 (transport): the driving licence and the vehicles registered to a person.
//!
//! About 30% of adults hold no licence (answered "no record"); vehicles are registered only to
//! licence holders, and not to all of them.

use axum::Router;
use chrono::NaiveDate;
use platform_api::departments::{DrivingLicence, Operation, Vehicle, Vehicles};
use rand::seq::SliceRandom;
use rand::Rng;
use rand_chacha::ChaCha8Rng;

use super::answer::about_a_person;
use super::record::{add_months, day_between, ymd, Person};
use crate::fixtures::pick;
use crate::MockState;

/// The department's routes.
pub fn routes() -> Router<MockState> {
    Router::new()
        .route(
            Operation::DrivingLicence.path(),
            about_a_person(Operation::DrivingLicence, driving_licence),
        )
        .route(
            Operation::Vehicles.path(),
            about_a_person(Operation::Vehicles, vehicles),
        )
}

/// Share of adults holding a driving licence.
const LICENCE_HOLDERS: f64 = 0.7;
/// Licence classes, repeated by how common they are.
const CLASSES: &[&str] = &["C1", "C1", "C1", "C1", "C1", "C1", "C2", "C1E", "B2", "A2"];
/// Make and model; `true` for a new-energy vehicle (green plate).
const MODELS: &[(&str, bool)] = &[
    ("大众 朗逸", false),
    ("丰田 卡罗拉", false),
    ("本田 雅阁", false),
    ("日产 轩逸", false),
    ("吉利 帝豪", false),
    ("别克 GL8", false),
    ("比亚迪 秦PLUS DM-i", true),
    ("特斯拉 Model 3", true),
    ("理想 L7", true),
    ("零跑 C11", true),
];
/// Letters a plate may use (no I or O, which read as digits).
const PLATE_LETTERS: &[u8] = b"ABCDEFGHJKLMNPQRSTUVWXYZ";

/// Whether the person holds a licence: the same answer for both operations.
fn holds_licence(p: &Person<'_>) -> bool {
    p.age() >= 18 && p.rng_for("licence_holder").gen_bool(LICENCE_HOLDERS)
}

pub(super) fn driving_licence(p: &Person<'_>) -> Option<DrivingLicence> {
    if !holds_licence(p) {
        return None;
    }
    let mut rng = p.rng();
    let first_issued = day_between(&mut rng, p.birthday(18), p.birthday(40).min(p.as_of));
    let points_deducted = if rng.gen_bool(0.7) {
        0
    } else {
        [1, 2, 3, 3, 6, 6, 9, 12]
            .choose(&mut rng)
            .copied()
            .unwrap_or(0)
    };
    Some(DrivingLicence {
        // A Chinese driving licence is numbered with the holder's ID number.
        licence_number: p.citizen.id_number.clone(),
        class: pick(&mut rng, CLASSES).to_string(),
        valid_until: ymd(licence_valid_until(first_issued, p.as_of)),
        points_deducted,
        status: if points_deducted >= 12 {
            "暂扣"
        } else {
            "正常"
        }
        .to_string(),
    })
}

/// A first licence is valid six years, each renewal ten (the long-term licence after that is
/// left out: the payload carries a date).
fn licence_valid_until(first_issued: NaiveDate, as_of: NaiveDate) -> NaiveDate {
    let mut until = add_months(first_issued, 6 * 12);
    while until <= as_of {
        until = add_months(until, 10 * 12);
    }
    until
}

pub(super) fn vehicles(p: &Person<'_>) -> Option<Vehicles> {
    if !holds_licence(p) {
        return None;
    }
    let mut rng = p.rng();
    let count = *[0, 0, 0, 1, 1, 1, 1, 1, 2, 2]
        .choose(&mut rng)
        .unwrap_or(&0);
    if count == 0 {
        return None;
    }
    let vehicles = (0..count)
        .map(|_| {
            let (model, new_energy) = MODELS.choose(&mut rng).copied().unwrap_or(MODELS[0]);
            Vehicle {
                plate: plate(&mut rng, new_energy),
                model: model.to_string(),
                inspection_due: ymd(day_between(&mut rng, p.as_of, add_months(p.as_of, 24))),
            }
        })
        .collect();
    Some(Vehicles { vehicles })
}

/// A Wenzhou (浙C) plate: five characters, or `D` and five digits for a new-energy vehicle.
fn plate(rng: &mut ChaCha8Rng, new_energy: bool) -> String {
    let mut plate = String::from("浙C·");
    if new_energy {
        plate.push('D');
        for _ in 0..5 {
            plate.push(char::from(b'0' + rng.gen_range(0..10)));
        }
    } else {
        for _ in 0..5 {
            let c = if rng.gen_bool(0.8) {
                b'0' + rng.gen_range(0..10)
            } else {
                PLATE_LETTERS.choose(rng).copied().unwrap_or(b'A')
            };
            plate.push(char::from(c));
        }
    }
    plate
}

#[cfg(test)]
mod tests {
    use super::*;
    use rand::SeedableRng;

    #[test]
    fn a_licence_is_renewed_until_it_covers_the_day() {
        let d = |y, m, dd| NaiveDate::from_ymd_opt(y, m, dd).unwrap_or_default();
        assert_eq!(
            licence_valid_until(d(2020, 3, 5), d(2024, 1, 1)),
            d(2026, 3, 5)
        );
        assert_eq!(
            licence_valid_until(d(2000, 3, 5), d(2024, 1, 1)),
            d(2026, 3, 5)
        );
    }

    #[test]
    fn plates_are_wenzhou_plates_of_the_right_length() {
        let mut rng = ChaCha8Rng::seed_from_u64(1);
        for new_energy in [false, true] {
            let p = plate(&mut rng, new_energy);
            assert!(p.starts_with("浙C·"), "{p}");
            assert_eq!(p.chars().count(), 3 + if new_energy { 6 } else { 5 }, "{p}");
        }
    }
}
