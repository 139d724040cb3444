//! The summary table and the verdicts of a soak run.

use std::collections::BTreeMap;

use crate::cases::{first_difference, short, truncate, Case};
use crate::jobs::{state_of, Submission};
use crate::processes::mib;
use crate::{Args, Observed, SHOW_FAILURES, WARM_UP};
use pasta::engine::result::timeless;

/// One line of the summary table.
pub(crate) struct Row(pub(crate) String, pub(crate) String);

pub(crate) fn row(k: impl Into<String>, v: impl Into<String>) -> Row {
    Row(k.into(), v.into())
}

pub(crate) fn print_table(title: &str, rows: &[Row]) {
    let width = rows.iter().map(|r| r.0.chars().count()).max().unwrap_or(0);
    println!("\n{title}");
    println!("{}", "-".repeat(width + 40));
    for Row(k, v) in rows {
        println!("{k:<width$}  {v}");
    }
}

/// The memory verdict: passed, and the words.
pub(crate) fn memory_verdict(samples: &[(f64, u64)], total: f64, tolerance: f64) -> (bool, String) {
    let reference = samples.iter().find(|(t, _)| *t >= total * WARM_UP);
    match (reference, samples.last()) {
        _ if samples.len() < 10 => (true, "too few samples to judge".to_string()),
        (Some(&(_, r)), Some(&(_, l))) => {
            let change = (l as f64 - r as f64) / r as f64 * 100.0;
            if change.abs() <= tolerance {
                (true, format!("flat ({change:+.1} % since warm-up)"))
            } else if change < 0.0 {
                (true, format!("shrank ({change:+.1} % since warm-up)"))
            } else {
                (false, format!("GREW {change:+.1} % since warm-up"))
            }
        }
        _ => (true, "no sample after warm-up".to_string()),
    }
}

/// Prints the summary table and the evidence of every failure; whether every check passed.
pub(crate) fn report(args: &Args, cases: &[Case], o: &Observed) -> bool {
    let answered: Vec<usize> = (0..o.tasks.len())
        .filter(|&i| matches!(o.tasks[i].outcome, Submission::Answered { .. }))
        .collect();

    // Results.
    let mut states: BTreeMap<String, usize> = BTreeMap::new();
    let mut per_case = vec![(0usize, 0usize); cases.len()];
    let mut bad: Vec<(usize, String)> = Vec::new();
    let mut wrong = 0;
    for &i in &answered {
        let t = &o.tasks[i];
        let doc = &o.docs[&i];
        let state = state_of(doc);
        *states.entry(state.clone()).or_default() += 1;
        per_case[t.case].0 += 1;
        if state != "SUCCESS" {
            bad.push((i, format!("{state}: {}", short(&doc["data"]["info"]))));
            continue;
        }
        let got = timeless(&doc["data"]["data"]);
        match first_difference(&got, &cases[t.case].expected, "") {
            None => per_case[t.case].1 += 1,
            Some(d) => {
                wrong += 1;
                bad.push((i, format!("SUCCESS with a wrong result at {d}")));
            }
        }
    }

    // Submissions.
    let (mut unavailable, mut no_reply, mut unanswered) = (0, 0, 0);
    let mut refused = Vec::new();
    for t in &o.tasks {
        match &t.outcome {
            Submission::Answered {
                unavailable: u,
                no_reply: n,
            } => (unavailable, no_reply) = (unavailable + u, no_reply + n),
            Submission::Unanswered {
                unavailable: u,
                no_reply: n,
            } => {
                (unavailable, no_reply) = (unavailable + u, no_reply + n);
                unanswered += 1;
            }
            Submission::Refused(answer) => refused.push((&t.id, answer)),
        }
    }

    // Deliveries, from the events.
    let seen_of = |i: &usize| o.seen.get(&o.tasks[*i].id);
    let redelivered = answered
        .iter()
        .filter(|i| seen_of(i).is_some_and(|s| s.max_attempt > 1))
        .count();
    let started_twice = answered
        .iter()
        .filter(|i| seen_of(i).is_some_and(|s| s.started > 1))
        .count();
    let max_attempt = answered
        .iter()
        .filter_map(|i| seen_of(i).map(|s| s.max_attempt))
        .max()
        .unwrap_or(0);
    let no_final_event = answered
        .iter()
        .filter(|i| seen_of(i).is_none_or(|s| s.finals == 0))
        .count();

    // Memory.
    let total = o.run_time.as_secs_f64();
    let (memory_ok, memory) = memory_verdict(&o.samples, total, args.rss_tolerance);
    let reference = o.samples.iter().find(|(t, _)| *t >= total * WARM_UP);
    let peak = o.samples.iter().max_by_key(|(_, k)| *k);
    let sample = |s: Option<&(f64, u64)>| {
        s.map(|(t, k)| format!("{} at {t:.0} s", mib(*k)))
            .unwrap_or_else(|| "-".into())
    };

    // Worker warnings, by message (without the timestamp, span and error fields).
    let mut warnings: BTreeMap<&str, usize> = BTreeMap::new();
    for (_, text) in &o.logs {
        for line in text.lines() {
            if line.contains(" WARN ") || line.contains(" ERROR ") {
                let message = line.split_once(": ").map_or(line, |(_, m)| m);
                let message = message.split(" error=").next().unwrap_or(message);
                *warnings.entry(message).or_default() += 1;
            }
        }
    }

    let mut rows = vec![
        row(
            "run",
            format!(
                "{:.1} s (submitting {:.1} s, draining {:.1} s), {}, seed {}",
                total,
                o.submitted_in.as_secs_f64(),
                o.drained_in.as_secs_f64(),
                if args.burst { "burst" } else { "paced" },
                args.seed
            ),
        ),
        row(
            "workers",
            format!(
                "1 long-lived + {} churn: {} SIGKILLs, {} processes started, {} unexpected exits",
                args.workers,
                o.kills,
                o.spawned,
                o.unexpected.len()
            ),
        ),
        row(
            "jobs submitted / planned",
            format!("{} / {}", o.tasks.len(), args.jobs),
        ),
        row(
            "submissions answered",
            format!(
                "{} (retried: {unavailable} after UNAVAILABLE, {no_reply} after no reply)",
                answered.len()
            ),
        ),
        row(
            "submissions refused / unanswered",
            format!("{} / {unanswered}", refused.len()),
        ),
    ];
    for (state, n) in &states {
        rows.push(row(format!("tasks {state}"), n.to_string()));
    }
    let right: usize = per_case.iter().map(|c| c.1).sum();
    rows.push(row(
        "SUCCESS with the expected result",
        format!("{right} (wrong: {wrong})"),
    ));
    rows.push(row(
        "tasks redelivered (attempt > 1)",
        format!(
            "{redelivered}, {started_twice} of them STARTED twice (highest attempt \
             {max_attempt}); {no_final_event} without a final event seen"
        ),
    ));
    if redelivered == 0 && o.kills > 0 {
        rows.push(row(
            "  note",
            "no kill caught a job in flight (idle workers): --burst or more --jobs keep them busy",
        ));
    }
    for (c, (n, ok)) in cases.iter().zip(&per_case) {
        rows.push(row(
            format!("  {} as {}", c.name, c.job_type.as_str()),
            format!("{ok} / {n} right"),
        ));
    }
    rows.push(row(
        "anchor VmRSS first / after warm-up",
        format!("{} / {}", sample(o.samples.first()), sample(reference)),
    ));
    rows.push(row(
        "anchor VmRSS peak / last",
        format!("{} / {}", sample(peak), sample(o.samples.last())),
    ));
    rows.push(row(
        "anchor memory",
        format!("{memory} over {} samples", o.samples.len()),
    ));
    rows.push(row(
        "NATS service (in-process)",
        format!(
            "{} at the end, {}",
            if o.service_alive {
                "running"
            } else {
                "NOT running"
            },
            o.service_stopped
        ),
    ));
    rows.push(row(
        "worker log warnings",
        format!("{} lines", warnings.values().sum::<usize>()),
    ));
    let mut by_count: Vec<(&&str, &usize)> = warnings.iter().collect();
    by_count.sort_by(|a, b| b.1.cmp(a.1));
    for (message, n) in by_count.iter().take(8) {
        rows.push(row(format!("  ×{n}"), truncate(message, 160)));
    }

    let checks = [
        (
            "every answered task SUCCESS",
            bad.len() == wrong,
            format!("{} not SUCCESS", bad.len() - wrong),
        ),
        (
            "every result equals compute_value",
            wrong == 0,
            format!("{wrong} wrong"),
        ),
        (
            "no submission refused",
            refused.is_empty(),
            format!("{} refused", refused.len()),
        ),
        (
            "workers died only by SIGKILL",
            o.unexpected.is_empty(),
            o.unexpected.join("; "),
        ),
        (
            "the NATS service kept running",
            o.service_alive,
            o.service_stopped.clone(),
        ),
        ("anchor memory flat", memory_ok, memory.clone()),
        ("not interrupted", !o.interrupted, "Ctrl-C".to_string()),
    ];
    for (name, ok, why) in &checks {
        let verdict = if *ok {
            "PASS".to_string()
        } else {
            format!("FAIL ({why})")
        };
        rows.push(row(format!("check: {name}"), verdict));
    }
    print_table("pasta soak summary", &rows);

    // Evidence.
    if !bad.is_empty() {
        let shown = bad.len().min(SHOW_FAILURES);
        println!("\nfailed tasks ({shown} shown of {}):", bad.len());
        for (i, why) in bad.iter().take(SHOW_FAILURES) {
            let t = &o.tasks[*i];
            let c = &cases[t.case];
            println!(
                "- {} {} ({}): {why}; events: {:?}",
                t.id,
                c.job_type.as_str(),
                c.name,
                o.seen.get(&t.id)
            );
            for (name, text) in &o.logs {
                for line in text.lines().filter(|l| l.contains(&t.id)) {
                    println!("    {name}: {line}");
                }
            }
        }
    }
    for (id, answer) in refused.iter().take(SHOW_FAILURES) {
        println!("refused {id}: {answer}");
    }
    checks.iter().all(|c| c.1)
}
