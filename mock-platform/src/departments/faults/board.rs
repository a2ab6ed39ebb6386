//! The fault table and request counters of every department.

use std::collections::BTreeMap;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::RwLock;

use platform_api::departments::Department;
use serde::{Deserialize, Serialize};
use tokio::sync::watch;

use super::{Fault, FaultMode, InvalidFault};

/// A department's request count, as `GET /__admin/departments/stats` shows it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct DepartmentStats {
    /// Requests that passed the IRS gateway, whatever the fault did with them.
    pub requests: u64,
}

/// The current fault and request count of each department.
///
/// Read on every department request, so reading is one uncontended read lock and a copy; the
/// counters are plain atomics.
#[derive(Debug)]
pub struct FaultBoard {
    faults: RwLock<[Fault; Department::ALL.len()]>,
    requests: [AtomicU64; Department::ALL.len()],
    /// Bumped on every change and at shutdown, to wake hanging requests.
    changes: watch::Sender<u64>,
    stopping: AtomicBool,
}

impl Default for FaultBoard {
    fn default() -> Self {
        Self {
            faults: RwLock::new([Fault::HEALTHY; Department::ALL.len()]),
            requests: Default::default(),
            changes: watch::Sender::new(0),
            stopping: AtomicBool::new(false),
        }
    }
}

/// The department's place in the tables: its position in [`Department::ALL`].
fn slot(department: Department) -> usize {
    department as usize
}

impl FaultBoard {
    /// The department's current fault.
    pub fn get(&self, department: Department) -> Fault {
        // A writer cannot panic half-way through copying a `Fault`, so a poisoned table is
        // still consistent.
        self.faults
            .read()
            .unwrap_or_else(|poisoned| poisoned.into_inner())[slot(department)]
    }

    /// Every department's fault.
    pub fn all(&self) -> BTreeMap<Department, Fault> {
        let faults = *self
            .faults
            .read()
            .unwrap_or_else(|poisoned| poisoned.into_inner());
        Department::ALL
            .into_iter()
            .map(|d| (d, faults[slot(d)]))
            .collect()
    }

    /// Replaces the department's fault, if it is valid.
    pub fn set(&self, department: Department, fault: Fault) -> Result<(), InvalidFault> {
        fault.validate()?;
        self.faults
            .write()
            .unwrap_or_else(|poisoned| poisoned.into_inner())[slot(department)] = fault;
        self.changed();
        Ok(())
    }

    /// Makes every department healthy.
    pub fn clear(&self) {
        *self
            .faults
            .write()
            .unwrap_or_else(|poisoned| poisoned.into_inner()) =
            [Fault::HEALTHY; Department::ALL.len()];
        self.changed();
    }

    fn changed(&self) {
        self.changes.send_modify(|version| *version += 1);
    }

    /// Counts one request to the department.
    pub fn count(&self, department: Department) {
        self.requests[slot(department)].fetch_add(1, Ordering::Relaxed);
    }

    /// Requests the department has received since the mock started.
    pub fn requests(&self, department: Department) -> u64 {
        self.requests[slot(department)].load(Ordering::Relaxed)
    }

    /// Every department's count.
    pub fn stats(&self) -> BTreeMap<Department, DepartmentStats> {
        Department::ALL
            .into_iter()
            .map(|d| {
                (
                    d,
                    DepartmentStats {
                        requests: self.requests(d),
                    },
                )
            })
            .collect()
    }

    /// Releases every hanging request, for good: the server is stopping and waits for requests
    /// in flight, which a hang would otherwise hold forever.
    pub fn stop(&self) {
        self.stopping.store(true, Ordering::SeqCst);
        self.changed();
    }

    /// Waits while the department's mode is [`FaultMode::Hang`] and the board is not stopping.
    pub async fn wait_while_hanging(&self, department: Department) {
        // Subscribing before the first check means no change can slip in between.
        let mut changes = self.changes.subscribe();
        while !self.stopping.load(Ordering::SeqCst) && self.get(department).mode == FaultMode::Hang
        {
            if changes.changed().await.is_err() {
                // The board owns the sender, so this cannot happen while the board exists.
                return;
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::Duration;

    #[test]
    fn slots_follow_the_order_of_all_departments() {
        for (i, d) in Department::ALL.into_iter().enumerate() {
            assert_eq!(slot(d), i);
        }
    }

    #[test]
    fn an_invalid_fault_is_refused_and_leaves_the_old_one() {
        let board = FaultBoard::default();
        let hang = Fault {
            mode: FaultMode::Hang,
            ..Fault::HEALTHY
        };
        assert!(board.set(Department::Health, hang).is_ok());
        let bad = Fault {
            error_rate: 2.0,
            ..Fault::HEALTHY
        };
        assert!(board.set(Department::Health, bad).is_err());
        assert_eq!(board.get(Department::Health), hang);
        assert_eq!(board.get(Department::Education), Fault::HEALTHY);
        board.clear();
        assert!(board.all().values().all(Fault::is_healthy));
    }

    #[tokio::test]
    async fn a_hang_ends_when_the_fault_changes_or_the_board_stops() {
        let board = std::sync::Arc::new(FaultBoard::default());
        let hang = Fault {
            mode: FaultMode::Hang,
            ..Fault::HEALTHY
        };
        for release in [
            (|b: &FaultBoard| b.clear()) as fn(&FaultBoard),
            |b: &FaultBoard| b.stop(),
        ] {
            board.set(Department::Transport, hang).expect("valid");
            let waiting = tokio::spawn({
                let board = board.clone();
                async move { board.wait_while_hanging(Department::Transport).await }
            });
            tokio::time::sleep(Duration::from_millis(20)).await;
            assert!(!waiting.is_finished());
            release(&board);
            tokio::time::timeout(Duration::from_secs(2), waiting)
                .await
                .expect("released")
                .expect("no panic");
        }
    }
}
