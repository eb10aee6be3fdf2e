//! The semantic layer and the MCP adapter, each next to its floor in the same run:
//!
//! - `compile`: [`datasource_model::compile`] of a structured query against the sample
//!   `revenue_metrics` model, next to `format!` writing the same SQL text (the least any
//!   compiler can do).
//! - `local_query_model`: [`LocalSource::query_model`] on the shipped sample (3,000 orders joined
//!   to 200 customers), next to DataFusion running the compiled SQL over the same tables in memory
//!   and collecting the record batches (the engine alone, without the model, the compiler or the
//!   JSON rows).
//! - `tools_call`: `query_model` through the MCP tool registry (argument parsing, the call,
//!   rendering, redaction, the output budget), next to calling the source directly and
//!   serializing its result.
//!
//! `BENCH_QUICK=1` runs two samples of each (a smoke). See docs/performance.md.

use std::sync::{Arc, OnceLock};

use datafusion::datasource::MemTable;
use datafusion::prelude::{CsvReadOptions, SessionContext};
use datasource_model::{
    CompileOptions, DataSource, DynDataSource, LocalDialect, LocalSource, ModelDescription,
    OrderBy, QueryOptions, SemanticQuery, compile,
};
use divan::Bencher;
use mcp_tools::{DataSourceToolset, DataSourceToolsetOptions, Registry, ToolContext};
use serde_json::json;

struct World {
    runtime: tokio::runtime::Runtime,
    source: Arc<LocalSource>,
    model: ModelDescription,
    engine: SessionContext,
    registry: Registry,
}

fn sample_file(name: &str) -> String {
    format!(
        "{}/../datasource-model/data/sample/{name}.csv",
        env!("CARGO_MANIFEST_DIR")
    )
}

fn world() -> &'static World {
    static WORLD: OnceLock<World> = OnceLock::new();
    WORLD.get_or_init(|| {
        let runtime = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(2)
            .enable_all()
            .build()
            .expect("a tokio runtime");
        let (source, model, engine) = runtime.block_on(async {
            let source = LocalSource::sample().await.expect("the sample source");
            let model = source
                .describe_model("revenue_metrics")
                .await
                .expect("the sample model");
            // The floor's tables are in memory, as the local source's are.
            let engine = SessionContext::new();
            for table in ["orders", "customers"] {
                let frame = engine
                    .read_csv(sample_file(table), CsvReadOptions::new())
                    .await
                    .expect("a sample CSV");
                let schema = Arc::new(frame.schema().as_arrow().clone());
                let batches = frame.collect().await.expect("the CSV reads");
                let memory = MemTable::try_new(schema, vec![batches]).expect("a memory table");
                engine
                    .register_table(table, Arc::new(memory))
                    .expect("registers");
            }
            (Arc::new(source), model, engine)
        });
        let dyn_source: Arc<DynDataSource> = Arc::clone(&source) as Arc<DynDataSource>;
        let registry = Registry::builder()
            .toolset(Arc::new(DataSourceToolset::new(
                dyn_source,
                DataSourceToolsetOptions::new(),
            )))
            .read_only(true)
            .build()
            .expect("a registry");
        World {
            runtime,
            source,
            model,
            engine,
            registry,
        }
    })
}

/// Revenue and order count by region and channel, largest first: 20 groups.
fn query() -> SemanticQuery {
    SemanticQuery::new("revenue_metrics")
        .with_metrics(["total_revenue", "order_count"])
        .with_dimensions(["region", "channel"])
        .with_order(OrderBy::desc("total_revenue"))
}

fn main() {
    let divan = divan::Divan::from_args().sample_size(1);
    let divan = if benches::is_quick() {
        divan.sample_count(2)
    } else {
        divan.sample_count(20).sample_size(10)
    };
    divan.main();
}

mod compile {
    use super::*;

    #[divan::bench]
    fn floor_format(b: Bencher<'_, '_>) {
        b.bench(|| {
            let (m1, m2) = ("total_revenue", "order_count");
            format!(
                "SELECT customer.region AS \"region\", source.channel AS \"channel\", \
                 SUM(CAST(source.amount AS DECIMAL(18,2))) AS \"{m1}\", COUNT(1) AS \"{m2}\" \
                 FROM \"orders\" AS source LEFT JOIN \"customers\" AS customer \
                 ON source.customer_id = customer.customer_id \
                 WHERE (source.status <> 'cancelled') GROUP BY 1, 2 ORDER BY 3 DESC"
            )
        });
    }

    #[divan::bench]
    fn semantic_compiler(b: Bencher<'_, '_>) {
        let w = world();
        let query = query();
        b.bench(|| {
            compile(&query, &w.model, &LocalDialect, &CompileOptions::new())
                .expect("compiles")
                .sql
        });
    }
}

mod local_query_model {
    use super::*;

    #[divan::bench]
    fn floor_datafusion(b: Bencher<'_, '_>) {
        let w = world();
        let sql = compile(&query(), &w.model, &LocalDialect, &CompileOptions::new())
            .expect("compiles")
            .sql;
        b.bench(|| {
            w.runtime.block_on(async {
                let batches = w
                    .engine
                    .sql(&sql)
                    .await
                    .expect("plans")
                    .collect()
                    .await
                    .expect("runs");
                batches.iter().map(|b| b.num_rows()).sum::<usize>()
            })
        });
    }

    #[divan::bench]
    fn local_source(b: Bencher<'_, '_>) {
        let w = world();
        let query = query();
        b.bench(|| {
            w.runtime.block_on(async {
                w.source
                    .query_model(&query, &QueryOptions::new())
                    .await
                    .expect("runs")
                    .rows
                    .len()
            })
        });
    }
}

mod tools_call {
    use super::*;

    #[divan::bench]
    fn floor_direct(b: Bencher<'_, '_>) {
        let w = world();
        let query = query();
        b.bench(|| {
            w.runtime.block_on(async {
                let result = w
                    .source
                    .query_model(&query, &QueryOptions::new())
                    .await
                    .expect("runs");
                serde_json::to_string(&result).expect("serializes").len()
            })
        });
    }

    #[divan::bench]
    fn registry_query_model(b: Bencher<'_, '_>) {
        let w = world();
        let args = json!({
            "model_name": "revenue_metrics",
            "metrics": ["total_revenue", "order_count"],
            "dimensions": ["region", "channel"],
            "order": [{"member": "total_revenue", "direction": "desc"}],
        });
        b.bench(|| {
            w.runtime.block_on(async {
                let out = w
                    .registry
                    .call("query_model", args.clone(), ToolContext::new())
                    .await
                    .expect("the tool runs");
                assert!(!out.is_error, "query_model failed: {out:?}");
                out.structured.map(|s| s.to_string().len())
            })
        });
    }
}
