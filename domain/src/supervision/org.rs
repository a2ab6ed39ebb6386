//! The organisation tree (组织架构) as supervision reads it, and who plays which part in it.
//!
//! Roles come from the tree 浙政钉 keeps, not from a list of our own: a member of the root
//! organisation holding a leader position is a **city leader** (市领导: gives instructions,
//! owns items); a member of the supervision office unit (督查室) is the **office** (decomposes,
//! dispatches, urges, closes); in every other unit a leader position makes a **unit leader**
//! (approves the unit's reports, decomposes its tasks to its divisions) and the position
//! titled [`CONTACT_TITLE`] makes the unit's **contact** (联络员: reports progress). Anyone
//! else is a member who may read the unit's tasks.

use std::collections::{BTreeMap, HashMap};

use serde::{Deserialize, Serialize};

/// The job title of the person a unit names to the supervision office to report for it
/// (督查联络员), as units register it in the organisation tree.
pub const CONTACT_TITLE: &str = "督查联络员";

/// A unit of the tree.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Unit {
    /// 浙政钉's organisation code.
    pub code: String,
    /// Its name.
    pub name: String,
    /// Its parent's code; none for the root.
    pub parent: Option<String>,
}

/// A person of the tree, at their main position.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Person {
    /// 浙政钉's employee code.
    pub employee_code: String,
    /// Their account id (what notifications and to-dos are addressed to).
    pub account_id: i64,
    /// Their name.
    pub name: String,
    /// The unit of their main position.
    pub unit: String,
    /// Their job title there.
    pub title: String,
    /// Whether the position is a leader's (主要负责人 or 分管负责人).
    pub leader: bool,
}

impl Person {
    /// Whether they are their unit's supervision contact.
    pub fn is_contact(&self) -> bool {
        self.title == CONTACT_TITLE
    }
}

/// What a person is, for supervision.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case", tag = "role")]
pub enum Role {
    /// 市领导: a leader of the root organisation.
    CityLeader,
    /// 督查室: a member of the supervision office.
    Office,
    /// 单位负责人 of `unit`.
    UnitLeader {
        /// The unit.
        unit: String,
    },
    /// 督查联络员 of `unit`.
    Contact {
        /// The unit.
        unit: String,
    },
    /// Any other member of `unit`.
    Member {
        /// The unit.
        unit: String,
    },
}

impl Role {
    /// The role's name as the mini-app shows it.
    pub fn zh(&self) -> &'static str {
        match self {
            Role::CityLeader => "市领导",
            Role::Office => "督查室",
            Role::UnitLeader { .. } => "单位负责人",
            Role::Contact { .. } => "督查联络员",
            Role::Member { .. } => "工作人员",
        }
    }

    /// The unit a unit role belongs to.
    pub fn unit(&self) -> Option<&str> {
        match self {
            Role::UnitLeader { unit } | Role::Contact { unit } | Role::Member { unit } => {
                Some(unit)
            }
            Role::CityLeader | Role::Office => None,
        }
    }

    /// Whether the role sees every item and task (the city's leaders and the office).
    pub fn sees_all(&self) -> bool {
        matches!(self, Role::CityLeader | Role::Office)
    }
}

/// Why a tree could not be taken.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum OrgError {
    /// Not exactly one unit without a parent.
    #[error("the tree has {0} roots; it needs one")]
    Roots(usize),
    /// A unit's parent is not in the tree.
    #[error("unit {unit} has parent {parent}, which is not in the tree")]
    Orphan {
        /// The unit.
        unit: String,
        /// Its missing parent.
        parent: String,
    },
    /// A unit is its own ancestor.
    #[error("unit {0} is its own ancestor")]
    Cycle(String),
    /// The supervision office unit is not in the tree.
    #[error("the supervision office unit {0} is not in the tree")]
    NoOffice(String),
    /// A person's unit is not in the tree.
    #[error("employee {employee} is in unit {unit}, which is not in the tree")]
    Homeless {
        /// The person.
        employee: String,
        /// Their missing unit.
        unit: String,
    },
}

/// A snapshot of the tree: units, people, and which unit is the supervision office.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Org {
    units: BTreeMap<String, Unit>,
    people: BTreeMap<String, Person>,
    /// Employee codes in the order the tree lists them (the head of a unit first).
    listed: Vec<String>,
    by_account: HashMap<i64, String>,
    /// Each unit's depth (the root is 0), which also proves the tree has no cycle.
    depth: HashMap<String, usize>,
    root: String,
    office: String,
}

impl Org {
    /// The tree of `units` and `people`, with `office` the supervision office's unit code.
    pub fn new(units: Vec<Unit>, people: Vec<Person>, office: &str) -> Result<Org, OrgError> {
        let units: BTreeMap<String, Unit> =
            units.into_iter().map(|u| (u.code.clone(), u)).collect();
        let roots: Vec<&Unit> = units.values().filter(|u| u.parent.is_none()).collect();
        let [root] = roots.as_slice() else {
            return Err(OrgError::Roots(roots.len()));
        };
        let root = root.code.clone();
        let mut depth = HashMap::with_capacity(units.len());
        for unit in units.values() {
            // Walk up; a walk longer than the tree is a cycle.
            let mut steps = 0usize;
            let mut at = unit;
            while let Some(parent) = &at.parent {
                at = units.get(parent).ok_or_else(|| OrgError::Orphan {
                    unit: at.code.clone(),
                    parent: parent.clone(),
                })?;
                steps += 1;
                if steps > units.len() {
                    return Err(OrgError::Cycle(unit.code.clone()));
                }
            }
            depth.insert(unit.code.clone(), steps);
        }
        if !units.contains_key(office) {
            return Err(OrgError::NoOffice(office.to_string()));
        }
        let mut by_account = HashMap::with_capacity(people.len());
        let mut kept = BTreeMap::new();
        let mut listed = Vec::with_capacity(people.len());
        for person in people {
            if !units.contains_key(&person.unit) {
                return Err(OrgError::Homeless {
                    employee: person.employee_code,
                    unit: person.unit,
                });
            }
            by_account.insert(person.account_id, person.employee_code.clone());
            if !kept.contains_key(&person.employee_code) {
                listed.push(person.employee_code.clone());
            }
            kept.insert(person.employee_code.clone(), person);
        }
        Ok(Org {
            units,
            people: kept,
            listed,
            by_account,
            depth,
            root,
            office: office.to_string(),
        })
    }

    /// The root unit's code.
    pub fn root(&self) -> &str {
        &self.root
    }

    /// The supervision office's unit code.
    pub fn office(&self) -> &str {
        &self.office
    }

    /// The unit `code`.
    pub fn unit(&self, code: &str) -> Option<&Unit> {
        self.units.get(code)
    }

    /// Every unit, by code.
    pub fn units(&self) -> impl Iterator<Item = &Unit> {
        self.units.values()
    }

    /// The person with employee code `code`.
    pub fn person(&self, code: &str) -> Option<&Person> {
        self.people.get(code)
    }

    /// The person with account id `account_id`.
    pub fn person_by_account(&self, account_id: i64) -> Option<&Person> {
        self.by_account
            .get(&account_id)
            .and_then(|code| self.people.get(code))
    }

    /// Whether `unit` is `ancestor` or below it.
    pub fn within(&self, unit: &str, ancestor: &str) -> bool {
        let mut at = self.units.get(unit);
        while let Some(u) = at {
            if u.code == ancestor {
                return true;
            }
            at = u.parent.as_deref().and_then(|p| self.units.get(p));
        }
        false
    }

    /// Whether `unit` is strictly below `ancestor`.
    pub fn below(&self, unit: &str, ancestor: &str) -> bool {
        unit != ancestor && self.within(unit, ancestor)
    }

    /// The unit's depth: the root is 0.
    pub fn depth(&self, unit: &str) -> Option<usize> {
        self.depth.get(unit).copied()
    }

    /// Everyone, in the tree's order.
    fn in_order(&self) -> impl Iterator<Item = &Person> {
        self.listed.iter().filter_map(|code| self.people.get(code))
    }

    /// The leaders of `unit`, in the tree's order (its head first).
    pub fn leaders_of(&self, unit: &str) -> Vec<&Person> {
        self.in_order()
            .filter(|p| p.unit == unit && p.leader)
            .collect()
    }

    /// The contacts of `unit`.
    pub fn contacts_of(&self, unit: &str) -> Vec<&Person> {
        self.in_order()
            .filter(|p| p.unit == unit && p.is_contact())
            .collect()
    }

    /// The city's leaders.
    pub fn city_leaders(&self) -> Vec<&Person> {
        self.leaders_of(&self.root)
    }

    /// What `person` is.
    pub fn role(&self, person: &Person) -> Role {
        if person.unit == self.root && person.leader {
            Role::CityLeader
        } else if person.unit == self.office {
            Role::Office
        } else if person.leader {
            Role::UnitLeader {
                unit: person.unit.clone(),
            }
        } else if person.is_contact() {
            Role::Contact {
                unit: person.unit.clone(),
            }
        } else {
            Role::Member {
                unit: person.unit.clone(),
            }
        }
    }

    /// The unit's name, or its code when the tree no longer has it.
    pub fn unit_name<'a>(&'a self, code: &'a str) -> &'a str {
        self.units.get(code).map_or(code, |u| u.name.as_str())
    }
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;

    fn unit(code: &str, parent: Option<&str>) -> Unit {
        Unit {
            code: code.into(),
            name: format!("{code}单位"),
            parent: parent.map(Into::into),
        }
    }

    fn person(code: &str, account: i64, unit: &str, title: &str, leader: bool) -> Person {
        Person {
            employee_code: code.into(),
            account_id: account,
            name: format!("{code}同志"),
            unit: unit.into(),
            title: title.into(),
            leader,
        }
    }

    /// city → office, bureau A (→ division A1, A2), bureau B, county C; a leader and a
    /// contact in each unit but the office, two office staff and a mayor.
    pub(crate) fn sample() -> Org {
        let units = vec![
            unit("city", None),
            unit("office", Some("city")),
            unit("a", Some("city")),
            unit("a1", Some("a")),
            unit("a2", Some("a")),
            unit("b", Some("city")),
            unit("c", Some("city")),
        ];
        let mut people = vec![
            person("mayor", 1, "city", "市长", true),
            person("clerk", 2, "office", "科员", false),
            person("chief", 3, "office", "主任", true),
        ];
        for (i, u) in ["a", "a1", "a2", "b", "c"].iter().enumerate() {
            let n = 10 * (i as i64 + 1);
            people.push(person(&format!("{u}-head"), n, u, "局长", true));
            people.push(person(
                &format!("{u}-contact"),
                n + 1,
                u,
                CONTACT_TITLE,
                false,
            ));
            people.push(person(&format!("{u}-staff"), n + 2, u, "科员", false));
        }
        Org::new(units, people, "office").expect("a sound tree")
    }

    #[test]
    fn roles_come_from_the_tree() {
        let org = sample();
        let role = |code: &str| org.role(org.person(code).expect("a person"));
        assert_eq!(role("mayor"), Role::CityLeader);
        assert_eq!(role("clerk"), Role::Office);
        assert_eq!(role("chief"), Role::Office);
        assert_eq!(role("a-head"), Role::UnitLeader { unit: "a".into() });
        assert_eq!(role("a1-contact"), Role::Contact { unit: "a1".into() });
        assert_eq!(role("b-staff"), Role::Member { unit: "b".into() });
        assert_eq!(
            org.person_by_account(11).map(|p| p.employee_code.as_str()),
            Some("a-contact")
        );
        assert_eq!(org.contacts_of("a").len(), 1);
        assert_eq!(org.city_leaders().len(), 1);
    }

    #[test]
    fn leaders_keep_the_trees_order_not_their_codes() {
        let units = vec![unit("city", None), unit("office", Some("city"))];
        let people = vec![
            person("z-mayor", 1, "city", "市长", true),
            person("a-deputy", 2, "city", "副市长", true),
        ];
        let org = Org::new(units, people, "office").expect("a tree");
        let names: Vec<&str> = org
            .city_leaders()
            .iter()
            .map(|p| p.employee_code.as_str())
            .collect();
        assert_eq!(names, ["z-mayor", "a-deputy"]);
    }

    #[test]
    fn within_and_below_follow_the_tree() {
        let org = sample();
        assert!(org.within("a1", "a") && org.within("a", "a") && org.within("a1", "city"));
        assert!(org.below("a1", "a") && !org.below("a", "a"));
        assert!(!org.within("b", "a") && !org.within("a", "a1"));
        assert_eq!(org.depth("a1"), Some(2));
    }

    #[test]
    fn a_tree_with_a_cycle_an_orphan_or_two_roots_is_refused() {
        let cyclic = vec![unit("r", None), unit("x", Some("y")), unit("y", Some("x"))];
        assert!(matches!(
            Org::new(cyclic, vec![], "r"),
            Err(OrgError::Cycle(_))
        ));
        let orphan = vec![unit("r", None), unit("x", Some("gone"))];
        assert!(matches!(
            Org::new(orphan, vec![], "r"),
            Err(OrgError::Orphan { .. })
        ));
        let two = vec![unit("r", None), unit("s", None)];
        assert_eq!(Org::new(two, vec![], "r"), Err(OrgError::Roots(2)));
        let no_office = vec![unit("r", None)];
        assert!(matches!(
            Org::new(no_office, vec![], "o"),
            Err(OrgError::NoOffice(_))
        ));
    }
}
