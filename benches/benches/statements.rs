//! Statement results and job listing against the loopback fake workspace, each next to its
//! bare floor in the same run. `BENCH_QUICK=1` shrinks the data and the sample count (a smoke
//! that finishes in well under a minute). See docs/performance.md.

use std::sync::{Arc, OnceLock};
use std::time::Duration;

use benches::{FakeWorkspace, Shape};
use databricks_client::api::QueryOptions;
use databricks_client::models::jobs::ListJobsRequest;
use databricks_client::models::{
    ColumnTypeName, Disposition, ExecuteStatementRequest, ResultColumn, ResultFormat, decode,
};
use databricks_client::wait::PollOptions;
use divan::Bencher;
use futures::{StreamExt, TryStreamExt};

/// Per-chunk latency of the second server (a storage round trip).
const LATENCY: Duration = Duration::from_millis(20);

struct World {
    runtime: tokio::runtime::Runtime,
    fast: FakeWorkspace,
    slow: FakeWorkspace,
}

fn world() -> &'static World {
    static WORLD: OnceLock<World> = OnceLock::new();
    WORLD.get_or_init(|| {
        let runtime = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(2)
            .enable_all()
            .build()
            .expect("a tokio runtime");
        let shape = Shape::from_env();
        let mut slow_shape = shape;
        slow_shape.chunks = slow_shape.chunks.min(20);
        let (fast, slow) = runtime.block_on(async {
            (
                FakeWorkspace::start(shape, Duration::ZERO).await,
                FakeWorkspace::start(slow_shape, LATENCY).await,
            )
        });
        World {
            runtime,
            fast,
            slow,
        }
    })
}

fn columns() -> Arc<[ResultColumn]> {
    vec![
        ResultColumn::new("id", ColumnTypeName::Long),
        ResultColumn::new("customer", ColumnTypeName::String),
        ResultColumn::new("amount", ColumnTypeName::Decimal),
    ]
    .into()
}

fn main() {
    let mut divan = divan::Divan::from_args().sample_size(1);
    divan = if benches::is_quick() {
        divan.sample_count(2)
    } else {
        divan.sample_count(10)
    };
    divan.main();
}

/// One chunk (20,000 rows; 10,000 quick) decoded from memory.
mod decode_chunk {
    use super::*;

    fn shape() -> Shape {
        Shape::from_env()
    }

    #[divan::bench]
    fn json_floor_serde_strings(b: Bencher<'_, '_>) {
        let body = benches::json_chunk(&shape(), 1);
        b.bench(|| {
            let rows: Vec<Vec<Option<String>>> = serde_json::from_slice(&body).expect("rows");
            rows.len()
        });
    }

    #[divan::bench]
    fn json_typed_rows(b: Bencher<'_, '_>) {
        let body = benches::json_chunk(&shape(), 1);
        let cols = columns();
        b.bench(|| decode::json_array_rows(&body, &cols).expect("rows").len());
    }

    #[divan::bench]
    fn csv_typed_rows(b: Bencher<'_, '_>) {
        let body = benches::csv_chunk(&shape(), 1);
        let cols = columns();
        b.bench(|| decode::csv_rows(&body, &cols).expect("rows").len());
    }

    #[divan::bench]
    fn arrow_typed_rows(b: Bencher<'_, '_>) {
        let body = benches::arrow_chunk(&shape(), 1);
        let cols = columns();
        b.bench(|| decode::arrow_rows(&body, &cols).expect("rows").len());
    }

    #[divan::bench]
    fn arrow_record_batches(b: Bencher<'_, '_>) {
        let body = benches::arrow_chunk(&shape(), 1);
        b.bench(|| {
            decode::arrow_batches(body.clone())
                .expect("batches")
                .iter()
                .map(|b| b.num_rows())
                .sum::<usize>()
        });
    }
}

fn request(format: ResultFormat) -> ExecuteStatementRequest {
    ExecuteStatementRequest::new("wh", "SELECT * FROM bench")
        .with_disposition(Disposition::ExternalLinks)
        .with_format(format)
}

async fn rows(server: &FakeWorkspace, format: ResultFormat, concurrency: usize) -> usize {
    let opts = QueryOptions::default()
        .with_poll(PollOptions::default())
        .with_concurrency(concurrency);
    let stream = server
        .client()
        .statements()
        .query_opts(request(format), opts)
        .await
        .expect("query");
    let n = stream
        .try_fold(0usize, |n, _| async move { Ok(n + 1) })
        .await;
    let n = n.expect("rows");
    assert_eq!(n, server.shape().total_rows());
    n
}

/// The whole statement (1,000,000 rows; 100,000 quick), end to end over loopback.
mod statement {
    use super::*;

    #[divan::bench]
    fn json_floor_sequential(b: Bencher<'_, '_>) {
        let w = world();
        let base = w.fast.base_url();
        b.bench(|| w.runtime.block_on(benches::floor_json_statement(&base)));
    }

    #[divan::bench(args = [1, 4])]
    fn json_rows(b: Bencher<'_, '_>, concurrency: usize) {
        let w = world();
        b.bench(|| {
            w.runtime
                .block_on(rows(&w.fast, ResultFormat::JsonArray, concurrency))
        });
    }

    #[divan::bench(args = [4])]
    fn csv_rows(b: Bencher<'_, '_>, concurrency: usize) {
        let w = world();
        b.bench(|| {
            w.runtime
                .block_on(rows(&w.fast, ResultFormat::Csv, concurrency))
        });
    }

    #[divan::bench(args = [4])]
    fn arrow_rows(b: Bencher<'_, '_>, concurrency: usize) {
        let w = world();
        b.bench(|| {
            w.runtime
                .block_on(rows(&w.fast, ResultFormat::ArrowStream, concurrency))
        });
    }

    #[divan::bench(args = [4])]
    fn arrow_batches(b: Bencher<'_, '_>, concurrency: usize) {
        let w = world();
        b.bench(|| {
            w.runtime.block_on(async {
                let opts = QueryOptions::default()
                    .with_poll(PollOptions::default())
                    .with_concurrency(concurrency);
                let batches = w
                    .fast
                    .client()
                    .statements()
                    .query_opts(request(ResultFormat::ArrowStream), opts)
                    .await
                    .expect("query")
                    .into_batches()
                    .expect("batches");
                let n = batches
                    .try_fold(0usize, |n, b| async move { Ok(n + b.num_rows()) })
                    .await
                    .expect("batches");
                assert_eq!(n, w.fast.shape().total_rows());
                n
            })
        });
    }
}

/// 20 chunks behind a 20 ms per-chunk storage latency: where concurrency pays.
mod statement_with_latency {
    use super::*;

    #[divan::bench(args = [1, 4])]
    fn json_rows(b: Bencher<'_, '_>, concurrency: usize) {
        let w = world();
        b.bench(|| {
            w.runtime
                .block_on(rows(&w.slow, ResultFormat::JsonArray, concurrency))
        });
    }
}

/// One page of the job list (100 jobs) decoded from memory: the six-field floor and the
/// client's full public `Job` model.
mod decode_jobs_page {
    use super::*;

    #[divan::bench]
    fn floor(b: Bencher<'_, '_>) {
        let body = benches::jobs_page(&Shape::from_env(), 0);
        b.bench(|| benches::floor_decode_jobs_page(&body));
    }

    /// The same page into `databricks_client::models::jobs::Job` (what the client yields).
    #[divan::bench]
    fn model(b: Bencher<'_, '_>) {
        let body = benches::jobs_page(&Shape::from_env(), 0);
        b.bench(|| benches::floor_decode_jobs_page_model(&body));
    }
}

/// Every job of the list (10,000 in pages of 100; 1,000 quick).
mod jobs_list {
    use super::*;

    /// Bare reqwest + serde_json into six fields of a job.
    #[divan::bench]
    fn floor(b: Bencher<'_, '_>) {
        let w = world();
        let base = w.fast.base_url();
        b.bench(|| w.runtime.block_on(benches::floor_jobs(&base)));
    }

    /// The six-field floor with one `reqwest::Client` for every iteration.
    #[divan::bench]
    fn floor_reused(b: Bencher<'_, '_>) {
        let w = world();
        let base = w.fast.base_url();
        let http = reqwest::Client::new();
        b.bench(|| w.runtime.block_on(benches::floor_jobs_with(&http, &base)));
    }

    /// Bare reqwest + serde_json into the client's own `Job` model (the same output as the
    /// client): the floor the 1.2 × target is measured against.
    #[divan::bench]
    fn floor_model(b: Bencher<'_, '_>) {
        let w = world();
        let base = w.fast.base_url();
        b.bench(|| w.runtime.block_on(benches::floor_jobs_model(&base)));
    }

    /// The model floor with one `reqwest::Client` for every iteration.
    #[divan::bench]
    fn floor_model_reused(b: Bencher<'_, '_>) {
        let w = world();
        let base = w.fast.base_url();
        let http = reqwest::Client::new();
        b.bench(|| {
            w.runtime
                .block_on(benches::floor_jobs_model_with(&http, &base))
        });
    }

    /// The client with one `WorkspaceClient` for every iteration.
    #[divan::bench]
    fn client_reused(b: Bencher<'_, '_>) {
        let w = world();
        let client = w.fast.client();
        b.bench(|| {
            w.runtime.block_on(async {
                let n = client
                    .jobs()
                    .list(ListJobsRequest::new())
                    .fold(0usize, |n, job| async move {
                        job.expect("job");
                        n + 1
                    })
                    .await;
                assert_eq!(n, w.fast.shape().jobs);
                n
            })
        });
    }

    #[divan::bench]
    fn client(b: Bencher<'_, '_>) {
        let w = world();
        b.bench(|| {
            w.runtime.block_on(async {
                let n = w
                    .fast
                    .client()
                    .jobs()
                    .list(ListJobsRequest::new())
                    .fold(0usize, |n, job| async move {
                        job.expect("job");
                        n + 1
                    })
                    .await;
                assert_eq!(n, w.fast.shape().jobs);
                n
            })
        });
    }
}
