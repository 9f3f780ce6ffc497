//! Throughput of one codec shared by one and by two threads, decoding the small
//! session. Prints decodes per second for each and their ratio, and writes them to
//! `target/bench-results/threads.json` for `benches/report.py`.
//!
//! Each thread counts its own decodes and reads its own clock: the threads share the
//! codec and nothing else. Rounds of one and two threads alternate, and the best round
//! of each counts, to damp the noise of a busy machine.
#![allow(
    missing_docs,
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]

mod common;

use std::hint::black_box;
use std::time::{Duration, Instant};

use sessionlib::Codec;

const ROUND: Duration = Duration::from_millis(700);
const ROUNDS: usize = 5;

/// Nanoseconds this thread has spent on a CPU (Linux `schedstat`), if known.
fn thread_cpu_ns() -> Option<u64> {
    let text = std::fs::read_to_string("/proc/thread-self/schedstat").ok()?;
    text.split_whitespace().next()?.parse().ok()
}

/// One round of `threads` threads sharing `codec`: decodes per wall-clock second (all
/// threads together) and decodes per second of CPU time actually received.
fn throughput(codec: &Codec, token: &str, threads: usize) -> (f64, Option<f64>) {
    std::thread::scope(|s| {
        let workers: Vec<_> = (0..threads)
            .map(|_| {
                s.spawn(|| {
                    let cpu_start = thread_cpu_ns();
                    let start = Instant::now();
                    let mut done = 0u64;
                    while start.elapsed() < ROUND {
                        for _ in 0..256 {
                            black_box(codec.decode::<common::Small>(black_box(token)).unwrap());
                        }
                        done += 256;
                    }
                    let wall = start.elapsed().as_secs_f64();
                    let cpu = cpu_start
                        .zip(thread_cpu_ns())
                        .map(|(a, b)| (b - a) as f64 / 1e9);
                    (done as f64, wall, cpu)
                })
            })
            .collect();
        let results: Vec<_> = workers.into_iter().map(|w| w.join().unwrap()).collect();
        let per_wall = results.iter().map(|(n, wall, _)| n / wall).sum();
        let cpu: Option<f64> = results.iter().map(|(_, _, cpu)| *cpu).sum();
        let done: f64 = results.iter().map(|(n, _, _)| n).sum();
        (per_wall, cpu.map(|cpu| done / cpu))
    })
}

fn main() {
    // `cargo bench` passes `--bench`; a name filter that excludes this bench skips it.
    let filter: Vec<String> = std::env::args()
        .skip(1)
        .filter(|a| !a.starts_with("--"))
        .collect();
    if !filter.is_empty() && !filter.iter().any(|f| "threads".contains(f.as_str())) {
        return;
    }
    let (small, _) = common::small();
    let codec = common::codec();
    let token = codec.encode(&small).unwrap();
    let (mut one, mut two) = ((0f64, 0f64), (0f64, 0f64));
    let best = |a: (f64, f64), (wall, cpu): (f64, Option<f64>)| {
        (a.0.max(wall), a.1.max(cpu.unwrap_or(0.0)))
    };
    for _ in 0..ROUNDS {
        one = best(one, throughput(&codec, &token, 1));
        two = best(two, throughput(&codec, &token, 2));
    }
    let cores = std::thread::available_parallelism().map_or(1, |n| n.get());
    println!("threads/1 decode small: {:>12.0} ops/s", one.0);
    println!("threads/2 decode small: {:>12.0} ops/s", two.0);
    println!(
        "scaling 2 threads / 1 thread: {:.2}x wall clock ({cores} cores available)",
        two.0 / one.0
    );
    // On a machine that other work keeps busy, two threads do not get two cores; the
    // decodes per CPU-second show whether the threads slow each other down.
    println!(
        "decodes per CPU-second: {:.0} with 1 thread, {:.0} with 2 ({:.2}x)",
        one.1,
        two.1,
        two.1 / one.1
    );
    let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("target/bench-results");
    std::fs::create_dir_all(&dir).unwrap();
    std::fs::write(
        dir.join("threads.json"),
        format!(
            "{{\"one_thread_ops\": {:.0}, \"two_threads_ops\": {:.0}, \"one_thread_ops_per_cpu_s\": {:.0}, \"two_threads_ops_per_cpu_s\": {:.0}, \"cores\": {cores}}}\n",
            one.0, two.0, one.1, two.1
        ),
    )
    .unwrap();
}
