//! The benchmark harness at its smallest: every measurement runs and lands
//! in the report. Speed itself is never asserted here.

use std::process::Command;

fn bench(args: &[&str]) -> std::process::Output {
    Command::new(env!("CARGO_BIN_EXE_accountkit-bench")).args(args).output().expect("the harness starts")
}

/// The number in a table cell such as `1.23×`.
fn ratio(cell: &str) -> f64 {
    cell.trim().trim_end_matches('×').parse().unwrap_or_else(|_| panic!("`{cell}` is not a ratio"))
}

#[test]
fn a_quick_run_reports_every_measurement() {
    let output = bench(&["--quick", "--no-vendor"]);
    let report = String::from_utf8_lossy(&output.stdout);
    assert!(output.status.success(), "{report}\n{}", String::from_utf8_lossy(&output.stderr));

    for (provider, operation) in [
        ("TagoIO", "info"),
        ("Cycle", "get_account"),
        ("Logto", "get_profile"),
        ("Pangea", "user_profile_get"),
        ("STX", "login"),
    ] {
        let row = report
            .lines()
            .find(|l| l.starts_with(&format!("| {provider} | `{operation}` |")))
            .unwrap_or_else(|| panic!("no per-call row for {provider}:\n{report}"));
        let cells: Vec<&str> = row.split('|').collect();
        assert!(ratio(cells[5]) > 0.0, "{row}");
    }
    assert!(report.contains("Skipped (`--no-vendor`)"), "{report}");
    // One line per network flow, with its limit.
    let flows = report.lines().filter(|l| l.starts_with("network: ") && l.contains("(limit ")).count();
    assert_eq!(flows, 7, "{report}");
    // Against the static server: both runtimes, each with its ratios to the
    // bare and the timed floor, per call and concurrent.
    for runtime in ["current_thread", "multi_thread"] {
        let row = report
            .lines()
            .find(|l| l.starts_with(&format!("| `{runtime}` |")))
            .unwrap_or_else(|| panic!("no static-server row for {runtime}:\n{report}"));
        let cells: Vec<&str> = row.split('|').collect();
        for cell in [cells[5], cells[10]] {
            for part in cell.split(',') {
                assert!(ratio(part) > 0.0, "{row}");
            }
        }
    }
    let concurrent =
        report.lines().find(|l| l.contains("calls/s") && !l.starts_with("| `")).expect("a concurrency row");
    assert!(ratio(concurrent.split('|').nth(3).unwrap()) > 0.0, "{concurrent}");
    // Both user counts were paged in full (the harness fails otherwise).
    assert!(report.lines().any(|l| l.starts_with("| 200 |")), "{report}");
    assert!(report.lines().any(|l| l.starts_with("| 1000 |")), "{report}");
}

#[test]
fn an_unknown_argument_is_refused() {
    let output = bench(&["--fast"]);
    assert_eq!(output.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&output.stderr).contains("unknown argument `--fast`"));
}

#[test]
fn profiling_the_static_sides_reports_allocations_and_cpu_per_call() {
    for side in ["static-accountkit", "static-floor"] {
        let output = bench(&["--profile", &format!("tagoio:{side}:8:4")]);
        let stderr = String::from_utf8_lossy(&output.stderr);
        assert!(output.status.success(), "{stderr}");
        let line =
            stderr.lines().find(|l| l.starts_with(&format!("{side}:"))).unwrap_or_else(|| panic!("{stderr}"));
        assert!(line.contains("allocations") && line.contains("µs per call"), "{line}");
        assert!(output.stdout.iter().all(u8::is_ascii_whitespace), "profiling prints no report");
    }
    // The static server answers TagoIO's `info` only.
    assert_eq!(bench(&["--profile", "cycle:static-accountkit:8"]).status.code(), Some(2));
}
