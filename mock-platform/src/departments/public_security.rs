//! 公安 (public security): the household register (户籍) and the resident ID card.

use axum::Router;
use chrono::{Duration, NaiveDate};
use platform_api::departments::{HouseholdMember, HouseholdRegister, Operation, ResidentIdCard};
use rand::Rng;
use rand_chacha::ChaCha8Rng;

use super::answer::about_a_person;
use super::record::{add_months, day_between, ymd, Person};
use super::wenzhou;
use crate::fixtures::{person_name, person_named, Sex};
use crate::MockState;

/// The department's routes.
pub fn routes() -> Router<MockState> {
    Router::new()
        .route(
            Operation::HouseholdRegister.path(),
            about_a_person(Operation::HouseholdRegister, household_register),
        )
        .route(
            Operation::ResidentIdCard.path(),
            about_a_person(Operation::ResidentIdCard, resident_id_card),
        )
}

/// The home address, shared by the register and the ID card so the two agree.
pub(super) fn home_address(p: &Person<'_>) -> String {
    wenzhou::home_address(&mut p.rng_for("home"), p.division)
}

fn surname(name: &str) -> &str {
    name.char_indices()
        .nth(1)
        .map_or(name, |(end, _)| &name[..end])
}

fn child_relation(sex: Sex) -> &'static str {
    match sex {
        Sex::Male => "子",
        Sex::Female => "女",
    }
}

/// The spouse's relation to a head of household of sex `head`.
fn spouse_relation(head: Sex) -> &'static str {
    match head {
        Sex::Male => "妻",
        Sex::Female => "夫",
    }
}

fn random_sex(rng: &mut ChaCha8Rng) -> Sex {
    if rng.gen_bool(0.5) {
        Sex::Male
    } else {
        Sex::Female
    }
}

const HEAD: &str = "户主";
const SELF: &str = "本人";

pub(super) fn household_register(p: &Person<'_>) -> Option<HouseholdRegister> {
    let mut rng = p.rng();
    let me = &p.citizen;
    let age = p.age();
    let family_name = surname(&me.name);
    let mut members = Vec::with_capacity(5);
    let (head, relation_to_head) = if age < 25 && rng.gen_bool(0.8) {
        // Young people are mostly still on their parents' register, under their father.
        let father = person_named(&mut rng, family_name);
        members.push(member(&father, HEAD));
        members.push(member(&person_name(&mut rng), spouse_relation(Sex::Male)));
        members.push(member(&me.name, child_relation(me.sex)));
        if rng.gen_bool(0.4) {
            let sibling_sex = random_sex(&mut rng);
            let sibling = person_named(&mut rng, family_name);
            members.push(member(&sibling, child_relation(sibling_sex)));
        }
        (father, child_relation(me.sex))
    } else if rng.gen_bool(0.8) {
        // A couple: usually the husband is registered as the head.
        let i_am_head = rng.gen_bool(if me.sex == Sex::Male { 0.8 } else { 0.3 });
        let spouse = person_name(&mut rng);
        let husband_name = if me.sex == Sex::Male {
            &me.name
        } else {
            &spouse
        };
        let children_surname = surname(husband_name).to_string();
        let (head, relation) = if i_am_head {
            members.push(member(&me.name, HEAD));
            members.push(member(&spouse, spouse_relation(me.sex)));
            (me.name.clone(), SELF)
        } else {
            let spouse_sex = match me.sex {
                Sex::Male => Sex::Female,
                Sex::Female => Sex::Male,
            };
            members.push(member(&spouse, HEAD));
            members.push(member(&me.name, spouse_relation(spouse_sex)));
            (spouse.clone(), spouse_relation(spouse_sex))
        };
        let children = if age >= 28 { rng.gen_range(0..=2) } else { 0 };
        for _ in 0..children {
            let sex = random_sex(&mut rng);
            members.push(member(
                &person_named(&mut rng, &children_surname),
                child_relation(sex),
            ));
        }
        (head, relation)
    } else {
        members.push(member(&me.name, HEAD));
        (me.name.clone(), SELF)
    };
    Some(HouseholdRegister {
        household_number: format!("{:09}", rng.gen_range(0..1_000_000_000u32)),
        head_of_household: head,
        relation_to_head: relation_to_head.to_string(),
        address: home_address(p),
        police_station: wenzhou::police_station(&mut p.rng_for("police_station"), p.division),
        members,
    })
}

fn member(name: &str, relation: &str) -> HouseholdMember {
    HouseholdMember {
        name: name.to_string(),
        relation: relation.to_string(),
    }
}

/// How long a card issued at `age` is valid (居民身份证法 art. 5); `None` for 长期.
fn card_validity_years(age: u32) -> Option<u32> {
    match age {
        0..=15 => Some(5),
        16..=25 => Some(10),
        26..=45 => Some(20),
        _ => None,
    }
}

pub(super) fn resident_id_card(p: &Person<'_>) -> Option<ResidentIdCard> {
    let mut rng = p.rng();
    let me = &p.citizen;
    let (valid_from, valid_until) = current_card(&mut rng, p);
    Some(ResidentIdCard {
        id_number: me.id_number.clone(),
        name: me.name.clone(),
        sex: match me.sex {
            Sex::Male => "男",
            Sex::Female => "女",
        }
        .to_string(),
        nation: me.nation.trim_end_matches('族').to_string(),
        birth_date: ymd(me.birth_date),
        address: home_address(p),
        issued_by: wenzhou::id_card_authority(p.division),
        valid_from: ymd(valid_from),
        valid_until: valid_until.map_or_else(|| "长期".to_string(), ymd),
    })
}

/// The card in force on [`Person::as_of`]: a first card at 16, each renewed shortly before it
/// expired, for the period the holder's age at issue gives.
fn current_card(rng: &mut ChaCha8Rng, p: &Person<'_>) -> (NaiveDate, Option<NaiveDate>) {
    let first = p.birthday(16);
    let mut from = day_between(rng, first, first + Duration::days(364));
    loop {
        let age = from.years_since(p.citizen.birth_date).unwrap_or_default();
        let Some(years) = card_validity_years(age) else {
            return (from, None);
        };
        let until = add_months(from, years * 12);
        if until > p.as_of {
            return (from, Some(until));
        }
        from = until - Duration::days(rng.gen_range(0..90));
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_surname_is_the_first_character() {
        assert_eq!(surname("王伟"), "王");
        assert_eq!(surname("王"), "王");
        assert_eq!(surname(""), "");
    }

    #[test]
    fn cards_issued_after_46_never_expire() {
        assert_eq!(card_validity_years(16), Some(10));
        assert_eq!(card_validity_years(30), Some(20));
        assert_eq!(card_validity_years(46), None);
    }
}
