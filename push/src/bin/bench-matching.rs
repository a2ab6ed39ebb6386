//! The matching benchmark: a synthetic population of N enterprises (default 1,000,000) and K
//! policies (default 1,000), recomputed in full with the index and by brute force in the same
//! run, then one new policy and one profile update at a time.
//!
//! `cargo run --profile bench-server -p zhelikit-push --bin bench-matching -- [N] [K]`

use std::time::{Duration, Instant};

use rayon::prelude::*;
use zhelikit_push::matching::{policies_for, ProfileIndex, Rule, Subject};
use zhelikit_push::synthetic::{PolicyMix, Population};

fn rss_mib() -> f64 {
    std::fs::read_to_string("/proc/self/status")
        .ok()
        .and_then(|s| {
            s.lines()
                .find(|l| l.starts_with("VmRSS:"))
                .and_then(|l| l.split_whitespace().nth(1))
                .and_then(|kb| kb.parse::<f64>().ok())
        })
        .map_or(0.0, |kb| kb / 1024.0)
}

fn ms(d: Duration) -> f64 {
    d.as_secs_f64() * 1e3
}

fn percentile(mut v: Vec<Duration>, p: f64) -> Duration {
    v.sort_unstable();
    v[((v.len() - 1) as f64 * p).round() as usize]
}

fn main() {
    let mut args = std::env::args().skip(1);
    let n: usize = args
        .next()
        .and_then(|a| a.parse().ok())
        .unwrap_or(1_000_000);
    let k: usize = args.next().and_then(|a| a.parse().ok()).unwrap_or(1_000);
    let threads = rayon::current_num_threads();
    println!("enterprises {n}, policies {k}, threads {threads}");

    let rss_before = rss_mib();
    let t = Instant::now();
    let subjects: Vec<Subject> = Population::new(2026).take(n).collect();
    let generated = t.elapsed();
    let t = Instant::now();
    let mut index = ProfileIndex::with_capacity(n);
    for (slot, s) in subjects.iter().enumerate() {
        if let Err(e) = index.upsert(slot as u32, s) {
            eprintln!("slot {slot}: {e:?}");
            std::process::exit(1);
        }
    }
    let built = t.elapsed();
    println!(
        "generate {:.0} ms, index build {:.0} ms, index {:.1} MiB (heap), process RSS {:.1} MiB (subjects vector {:.1} MiB)",
        ms(generated),
        ms(built),
        index.heap_bytes() as f64 / 1048576.0,
        rss_mib() - rss_before,
        (subjects.len() * std::mem::size_of::<Subject>()) as f64 / 1048576.0,
    );

    let mut mix = PolicyMix::new(7);
    let criteria: Vec<_> = (0..k).map(|_| mix.next_criteria()).collect();
    let rules: Vec<Rule> = criteria
        .iter()
        .map(|c| match c.check() {
            Ok(e) => Rule::new(&e),
            Err(e) => {
                eprintln!("generated criteria refused: {e}");
                std::process::exit(1);
            }
        })
        .collect();

    // Full recompute with the index: every policy's match set, counted.
    let mut full = Vec::new();
    let mut counts = Vec::new();
    for _ in 0..5 {
        let t = Instant::now();
        counts = rules
            .par_iter()
            .map(|r| index.select(r).count())
            .collect::<Vec<_>>();
        full.push(t.elapsed());
    }
    let matched: u64 = counts.iter().sum();
    println!(
        "full recompute (index): best {:.1} ms, median {:.1} ms over 5 runs; {} matches in all ({:.2}% of pairs)",
        ms(*full.iter().min().unwrap_or(&Duration::ZERO)),
        ms(percentile(full.clone(), 0.5)),
        matched,
        matched as f64 * 100.0 / (n as f64 * k as f64)
    );

    // The same by brute force, on the same threads: each rule against each subject.
    let t = Instant::now();
    let brute: Vec<u64> = rules
        .par_iter()
        .map(|r| subjects.iter().filter(|s| r.admits(s)).count() as u64)
        .collect();
    let brute_time = t.elapsed();
    let agree = brute == counts;
    println!(
        "full recompute (brute force): {:.1} ms; index/brute = {:.3}; counts agree: {agree}",
        ms(brute_time),
        percentile(full.clone(), 0.5).as_secs_f64() / brute_time.as_secs_f64()
    );
    if !agree {
        std::process::exit(1);
    }

    // One new policy: its match set, on one thread, as publishing computes it.
    let singles: Vec<Duration> = rules
        .iter()
        .take(200)
        .map(|r| {
            // The best of three: this machine's noise is not the policy's cost.
            (0..3)
                .map(|_| {
                    let t = Instant::now();
                    let m = index.select(r);
                    std::hint::black_box(m.count());
                    t.elapsed()
                })
                .min()
                .unwrap_or_default()
        })
        .collect();
    let mut slowest: Vec<_> = singles.iter().zip(&criteria).collect();
    slowest.sort_by_key(|(d, _)| std::cmp::Reverse(**d));
    for (d, c) in slowest.iter().take(3) {
        println!(
            "  slow: {:.3} ms {}",
            ms(**d),
            serde_json::to_string(c).unwrap_or_default()
        );
    }
    println!(
        "one new policy (best of 3 each): median {:.3} ms, p99 {:.3} ms, max {:.3} ms (200 policies)",
        ms(percentile(singles.clone(), 0.5)),
        ms(percentile(singles.clone(), 0.99)),
        ms(*singles.iter().max().unwrap_or(&Duration::ZERO))
    );

    // One profile update: the record changes, the index follows, the enterprise is re-matched.
    let keyed: Vec<(usize, &Rule)> = rules.iter().enumerate().collect();
    let mut updates = Vec::new();
    let mut found = 0usize;
    for i in 0..1_000usize {
        let slot = (i * 7_919) % n;
        let mut s = subjects[slot];
        s.county = Some((i % 12) as u8);
        s.capital_wan += 50;
        let t = Instant::now();
        if index.upsert(slot as u32, &s).is_err() {
            std::process::exit(1);
        }
        found += policies_for(&s, keyed.iter().copied()).len();
        updates.push(t.elapsed());
    }
    println!(
        "one profile update + re-match against {k} policies: median {:.3} ms, p99 {:.3} ms, max {:.3} ms (1,000 updates; {:.1} policies each)",
        ms(percentile(updates.clone(), 0.5)),
        ms(percentile(updates.clone(), 0.99)),
        ms(*updates.iter().max().unwrap_or(&Duration::ZERO)),
        found as f64 / 1_000.0
    );
}
