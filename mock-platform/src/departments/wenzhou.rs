//! Local colour for the payloads: streets, police stations and authorities of Wenzhou.

use rand::Rng;
use rand_chacha::ChaCha8Rng;
use zhelikit_domain::region::Division;

use crate::fixtures::pick;

const STREETS: &[&str] = &[
    "人民路",
    "解放路",
    "府前街",
    "五马街",
    "车站大道",
    "学院路",
    "锦绣路",
    "新城大道",
    "东游路",
    "勤奋路",
    "温州大道",
    "飞霞路",
    "江滨路",
    "安澜路",
    "望江路",
    "瓯江路",
    "黎明路",
    "府东路",
];
const COMMUNITIES: &[&str] = &[
    "锦园", "绿苑", "嘉园", "花园", "新村", "景苑", "雅苑", "公寓", "华庭", "小区",
];
/// Names police stations and towns are commonly called by, used for any division.
const STATION_AREAS: &[&str] = &[
    "城东", "城西", "城南", "城北", "江滨", "新城", "南门", "蒲州", "东门", "山前",
];

/// The police authority of a division: a branch of the city bureau for a district, the
/// county's or county-level city's own bureau otherwise.
fn authority_prefix(division: &Division) -> String {
    if division.name.ends_with('区') {
        format!("温州市公安局{}分局", division.name)
    } else {
        format!("{}公安局", division.name)
    }
}

/// A home address in `division`: street and number, then estate, building and flat.
pub fn home_address(rng: &mut ChaCha8Rng, division: &Division) -> String {
    format!(
        "浙江省温州市{}{}{}号{}{}{}幢{}室",
        division.name,
        pick(rng, STREETS),
        rng.gen_range(1..400),
        pick(rng, STATION_AREAS),
        pick(rng, COMMUNITIES),
        rng.gen_range(1..=20),
        // Floors 1–30, four flats on each.
        rng.gen_range(1..=30) * 100 + rng.gen_range(1..=4),
    )
}

/// A business address in `division`.
pub fn business_address(rng: &mut ChaCha8Rng, division: &Division) -> String {
    format!(
        "浙江省温州市{}{}{}号",
        division.name,
        pick(rng, STREETS),
        rng.gen_range(1..800)
    )
}

/// The police station keeping the household register of an address in `division`.
pub fn police_station(rng: &mut ChaCha8Rng, division: &Division) -> String {
    format!(
        "{}{}派出所",
        authority_prefix(division),
        pick(rng, STATION_AREAS)
    )
}

/// The authority issuing resident ID cards in `division`.
pub fn id_card_authority(division: &Division) -> String {
    authority_prefix(division)
}
