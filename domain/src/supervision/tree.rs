//! An item's task tree (任务分解树): how reported values add up to the item's indicators, how
//! far along each task is, and the one change that could make a cycle — moving a task under
//! another — refused when it would.
//!
//! A task decomposed to divisions takes its values from them (the sum of its subtasks'); a
//! task not decomposed takes them from its latest approved report. A task's progress is the
//! mean completion of its targets; without targets, the mean of its subtasks'; done is done.

use std::collections::{BTreeMap, HashMap};

use serde::{Deserialize, Serialize};

use super::amount::Amount;
use crate::input::{invalid, Invalid};

/// Where a task is in its life.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
pub enum TaskStatus {
    /// 办理中: dispatched, reports welcome.
    Open,
    /// 已办结: a report saying so was approved.
    Done,
    /// 已撤销: withdrawn by the office.
    Cancelled,
}

impl TaskStatus {
    /// As stored.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Open => "open",
            Self::Done => "done",
            Self::Cancelled => "cancelled",
        }
    }

    /// The status stored as `text`.
    pub fn parse(text: &str) -> Option<Self> {
        [Self::Open, Self::Done, Self::Cancelled]
            .into_iter()
            .find(|s| s.as_str() == text)
    }

    /// As shown.
    pub fn zh(self) -> &'static str {
        match self {
            Self::Open => "办理中",
            Self::Done => "已办结",
            Self::Cancelled => "已撤销",
        }
    }
}

/// A task as the tree needs it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Node {
    /// Its id.
    pub id: String,
    /// The task it was decomposed from; none for a task dispatched from the item.
    pub parent: Option<String>,
    /// Its unit.
    pub unit: String,
    /// Its last day.
    pub due: i64,
    /// Its status.
    pub status: TaskStatus,
    /// Its targets, by indicator key.
    pub targets: BTreeMap<String, Amount>,
    /// The values of its latest approved report, by indicator key.
    pub reported: BTreeMap<String, Amount>,
}

/// Why a set of tasks is not a tree.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum TreeError {
    /// A task's parent is not among the item's tasks.
    #[error("task {task} has parent {parent}, which is not a task of the item")]
    Orphan {
        /// The task.
        task: String,
        /// Its missing parent.
        parent: String,
    },
    /// A task is its own ancestor.
    #[error("task {0} is its own ancestor")]
    Cycle(String),
}

/// An item's tasks, checked to be a tree.
#[derive(Debug, Clone)]
pub struct Tree {
    nodes: Vec<Node>,
    index: HashMap<String, usize>,
    children: Vec<Vec<usize>>,
    /// Indices in an order where every task comes after its subtasks.
    bottom_up: Vec<usize>,
}

impl Tree {
    /// The tree of `nodes`.
    pub fn new(nodes: Vec<Node>) -> Result<Tree, TreeError> {
        let index: HashMap<String, usize> = nodes
            .iter()
            .enumerate()
            .map(|(i, n)| (n.id.clone(), i))
            .collect();
        let mut children = vec![Vec::new(); nodes.len()];
        let mut roots = Vec::new();
        for (i, n) in nodes.iter().enumerate() {
            match &n.parent {
                None => roots.push(i),
                Some(p) => {
                    let &pi = index.get(p).ok_or_else(|| TreeError::Orphan {
                        task: n.id.clone(),
                        parent: p.clone(),
                    })?;
                    children[pi].push(i);
                }
            }
        }
        // Depth-first from the roots; a node never reached sits on a cycle.
        let mut order = Vec::with_capacity(nodes.len());
        let mut stack: Vec<(usize, bool)> = roots.iter().rev().map(|&r| (r, false)).collect();
        while let Some((i, expanded)) = stack.pop() {
            if expanded {
                order.push(i);
                continue;
            }
            stack.push((i, true));
            for &c in children[i].iter().rev() {
                stack.push((c, false));
            }
        }
        if order.len() < nodes.len() {
            let mut reached = vec![false; nodes.len()];
            for &i in &order {
                reached[i] = true;
            }
            let lost = reached.iter().position(|r| !r).unwrap_or(0);
            return Err(TreeError::Cycle(nodes[lost].id.clone()));
        }
        Ok(Tree {
            nodes,
            index,
            children,
            bottom_up: order,
        })
    }

    /// The task `id`.
    pub fn node(&self, id: &str) -> Option<&Node> {
        self.index.get(id).map(|&i| &self.nodes[i])
    }

    /// Every task, in the order given.
    pub fn nodes(&self) -> &[Node] {
        &self.nodes
    }

    /// The subtasks of `id` that count (not cancelled).
    pub fn children(&self, id: &str) -> Vec<&Node> {
        self.index.get(id).map_or_else(Vec::new, |&i| {
            self.children[i]
                .iter()
                .map(|&c| &self.nodes[c])
                .filter(|n| n.status != TaskStatus::Cancelled)
                .collect()
        })
    }

    /// Whether `id` has subtasks that count.
    pub fn is_decomposed(&self, id: &str) -> bool {
        !self.children(id).is_empty()
    }

    /// Whether `id` is `ancestor` or below it.
    pub fn within(&self, id: &str, ancestor: &str) -> bool {
        let mut at = self.node(id);
        while let Some(n) = at {
            if n.id == ancestor {
                return true;
            }
            at = n.parent.as_deref().and_then(|p| self.node(p));
        }
        false
    }

    /// Values and progress of every task, computed once, bottom up.
    pub fn rollup(&self) -> Rollup {
        let mut values: Vec<BTreeMap<String, Amount>> = vec![BTreeMap::new(); self.nodes.len()];
        let mut progress = vec![0u32; self.nodes.len()];
        for &i in &self.bottom_up {
            let node = &self.nodes[i];
            let kids: Vec<usize> = self.children[i]
                .iter()
                .copied()
                .filter(|&c| self.nodes[c].status != TaskStatus::Cancelled)
                .collect();
            let mine = if kids.is_empty() {
                node.reported.clone()
            } else {
                let mut sum: BTreeMap<String, Amount> = BTreeMap::new();
                for &c in &kids {
                    for (k, v) in &values[c] {
                        let e = sum.entry(k.clone()).or_default();
                        *e = e.plus(*v);
                    }
                }
                sum
            };
            progress[i] = match node.status {
                TaskStatus::Done => 1_000,
                _ if !node.targets.is_empty() => mean(node.targets.iter().map(|(k, target)| {
                    mine.get(k)
                        .copied()
                        .unwrap_or_default()
                        .permille_of(*target)
                })),
                _ if !kids.is_empty() => mean(kids.iter().map(|&c| progress[c])),
                _ => 0,
            };
            values[i] = mine;
        }
        Rollup {
            values: self
                .nodes
                .iter()
                .zip(values)
                .map(|(n, v)| (n.id.clone(), v))
                .collect(),
            progress: self
                .nodes
                .iter()
                .zip(progress)
                .map(|(n, p)| (n.id.clone(), p))
                .collect(),
        }
    }

    /// Checks that `id` may move under `to` (none: directly under the item): refused when `to`
    /// is `id` itself or one of its subtasks, which would make a cycle.
    pub fn check_move(&self, id: &str, to: Option<&str>) -> Result<(), Invalid> {
        let Some(to) = to else { return Ok(()) };
        if self.node(to).is_none() {
            return Err(invalid(
                "parent",
                format!("督查事项没有任务 {to}"),
                format!("the item has no task {to}"),
            ));
        }
        if self.within(to, id) {
            return Err(invalid(
                "parent",
                "不能把任务移到它自己或它的下级任务之下（会形成循环）",
                "a task cannot move under itself or one of its subtasks (a cycle)",
            ));
        }
        Ok(())
    }
}

/// Values and progress of each task of a tree.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Rollup {
    /// Each task's values, by indicator key.
    pub values: HashMap<String, BTreeMap<String, Amount>>,
    /// Each task's progress, in thousandths.
    pub progress: HashMap<String, u32>,
}

impl Rollup {
    /// The item's values: the sum of its top-level tasks' that count.
    pub fn item_values(&self, tree: &Tree) -> BTreeMap<String, Amount> {
        let mut sum: BTreeMap<String, Amount> = BTreeMap::new();
        for n in tree
            .nodes()
            .iter()
            .filter(|n| n.parent.is_none() && n.status != TaskStatus::Cancelled)
        {
            for (k, v) in self.values.get(&n.id).into_iter().flatten() {
                let e = sum.entry(k.clone()).or_default();
                *e = e.plus(*v);
            }
        }
        sum
    }

    /// The item's progress: the mean completion of its indicators when it has some, else the
    /// mean progress of its top-level tasks.
    pub fn item_progress(&self, tree: &Tree, targets: &BTreeMap<String, Amount>) -> u32 {
        if !targets.is_empty() {
            let values = self.item_values(tree);
            return mean(
                targets
                    .iter()
                    .map(|(k, t)| values.get(k).copied().unwrap_or_default().permille_of(*t)),
            );
        }
        mean(
            tree.nodes()
                .iter()
                .filter(|n| n.parent.is_none() && n.status != TaskStatus::Cancelled)
                .map(|n| self.progress.get(&n.id).copied().unwrap_or(0)),
        )
    }
}

fn mean(values: impl Iterator<Item = u32>) -> u32 {
    let (sum, n) = values.fold((0u64, 0u64), |(s, n), v| (s + u64::from(v), n + 1));
    sum.checked_div(n)
        .map_or(0, |m| u32::try_from(m).unwrap_or(1_000))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn amount(text: &str) -> Amount {
        Amount::parse(text).expect("an amount")
    }

    fn node(id: &str, parent: Option<&str>, target: Option<&str>, reported: Option<&str>) -> Node {
        Node {
            id: id.into(),
            parent: parent.map(Into::into),
            unit: format!("u-{id}"),
            due: 100,
            status: TaskStatus::Open,
            targets: target
                .map(|t| [("inv".to_string(), amount(t))].into())
                .unwrap_or_default(),
            reported: reported
                .map(|r| [("inv".to_string(), amount(r))].into())
                .unwrap_or_default(),
        }
    }

    /// a (3.0, decomposed to a1 2.0 with 1.5 reported and a2 1.0 with 1.0), b (2.0, 0.5).
    fn sample() -> Tree {
        Tree::new(vec![
            node("a", None, Some("3"), Some("9")),
            node("a1", Some("a"), Some("2"), Some("1.5")),
            node("a2", Some("a"), Some("1"), Some("1")),
            node("b", None, Some("2"), Some("0.5")),
        ])
        .expect("a tree")
    }

    #[test]
    fn a_decomposed_task_takes_its_values_from_its_subtasks_not_its_own_report() {
        let tree = sample();
        let r = tree.rollup();
        assert_eq!(r.values["a"]["inv"], amount("2.5"));
        assert_eq!(r.progress["a"], 833);
        assert_eq!(r.progress["a1"], 750);
        assert_eq!(r.progress["a2"], 1_000);
        assert_eq!(r.item_values(&tree)["inv"], amount("3"));
        let targets = [("inv".to_string(), amount("5"))].into();
        assert_eq!(r.item_progress(&tree, &targets), 600);
    }

    #[test]
    fn cancelled_subtasks_do_not_count_and_done_is_done() {
        let mut nodes = sample().nodes().to_vec();
        nodes[1].status = TaskStatus::Cancelled;
        nodes[3].status = TaskStatus::Done;
        let tree = Tree::new(nodes).expect("a tree");
        let r = tree.rollup();
        assert_eq!(r.values["a"]["inv"], amount("1"));
        assert_eq!(r.progress["b"], 1_000);
        assert_eq!(tree.children("a").len(), 1);
    }

    #[test]
    fn moving_a_task_under_itself_or_its_subtask_is_refused_as_a_cycle() {
        let tree = sample();
        assert!(tree.check_move("a1", Some("b")).is_ok());
        assert!(tree.check_move("a1", None).is_ok());
        for to in ["a", "a1"] {
            let e = tree.check_move("a", Some(to)).expect_err("a cycle");
            assert!(e.reason.zh.contains("循环"), "{}", e.reason.zh);
        }
        assert!(tree.check_move("a", Some("zz")).is_err());
    }

    #[test]
    fn a_stored_cycle_or_orphan_is_found() {
        let cyclic = vec![
            node("x", Some("y"), None, None),
            node("y", Some("x"), None, None),
        ];
        assert!(matches!(Tree::new(cyclic), Err(TreeError::Cycle(_))));
        let orphan = vec![node("x", Some("gone"), None, None)];
        assert!(matches!(Tree::new(orphan), Err(TreeError::Orphan { .. })));
    }
}
