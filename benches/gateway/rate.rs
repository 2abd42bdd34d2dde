//! Open-loop latency at a fixed request rate: sends `RATE` requests per second for
//! `SECONDS` seconds to a URL (requests start on schedule whether or not earlier ones
//! have finished, so a slow server cannot slow the load down), then prints the latency
//! percentiles in microseconds as one line of `key=value` pairs.
//!
//! ```text
//! load-rate URL RATE SECONDS [HEADER: VALUE]...
//! ```

use std::time::{Duration, Instant};

fn usage() -> ! {
    eprintln!("usage: load-rate URL RATE SECONDS [HEADER: VALUE]...");
    std::process::exit(2)
}

#[tokio::main(flavor = "current_thread")]
async fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    if args.len() < 3 {
        usage();
    }
    let url = args[0].clone();
    let rate: u64 = args[1].parse().unwrap_or_else(|_| usage());
    let seconds: u64 = args[2].parse().unwrap_or_else(|_| usage());
    let mut headers = reqwest::header::HeaderMap::new();
    for h in &args[3..] {
        let (k, v) = h.split_once(':').unwrap_or_else(|| usage());
        headers.insert(
            reqwest::header::HeaderName::from_bytes(k.trim().as_bytes())
                .unwrap_or_else(|_| usage()),
            v.trim().parse().unwrap_or_else(|_| usage()),
        );
    }
    let client = reqwest::Client::builder()
        .default_headers(headers)
        .pool_max_idle_per_host(256)
        .build()
        .expect("client");

    let total = rate * seconds;
    let interval = Duration::from_nanos(1_000_000_000 / rate.max(1));
    let start = Instant::now();
    // A thread of its own keeps the schedule: std's sleep wakes within microseconds of
    // the due time, where tokio's timer rounds every deadline up to the next millisecond
    // and so would add up to 1 ms to every latency counted from the schedule.
    let (due_tx, mut due_rx) = tokio::sync::mpsc::unbounded_channel();
    let pacer = std::thread::spawn(move || {
        for i in 0..total {
            let due = start + interval * i as u32;
            let now = Instant::now();
            if due > now {
                std::thread::sleep(due - now);
            }
            if due_tx.send(due).is_err() {
                break;
            }
        }
    });
    let mut tasks = Vec::with_capacity(total as usize);
    while let Some(due) = due_rx.recv().await {
        let client = client.clone();
        let url = url.clone();
        tasks.push(tokio::spawn(async move {
            // Latency counts from the scheduled start: queueing in the client counts too.
            let r = client.get(&url).send().await;
            let ok = match r {
                Ok(r) => r.status().is_success() && r.bytes().await.is_ok(),
                Err(_) => false,
            };
            (due.elapsed(), ok)
        }));
    }
    pacer.join().expect("pacer thread");
    let mut latencies = Vec::with_capacity(tasks.len());
    let mut errors = 0usize;
    for t in tasks {
        let (lat, ok) = t.await.expect("request task");
        if !ok {
            errors += 1;
        }
        latencies.push(lat);
    }
    let achieved = total as f64 / start.elapsed().as_secs_f64();
    latencies.sort();
    let pct = |p: f64| {
        let i = ((latencies.len() as f64 * p).ceil() as usize).clamp(1, latencies.len()) - 1;
        latencies[i].as_micros()
    };
    println!(
        "requests={total} errors={errors} rate={achieved:.0} p50_us={} p90_us={} p99_us={} max_us={}",
        pct(0.50),
        pct(0.90),
        pct(0.99),
        latencies.last().map_or(0, |d| d.as_micros())
    );
}
