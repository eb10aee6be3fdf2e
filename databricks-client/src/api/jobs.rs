//! Jobs API 2.2: jobs, runs and a run waiter.

use futures::Stream;
use serde::Deserialize;
use serde_json::{Value, json};

use crate::models::jobs::{
    Job, JobSettings, ListJobsRequest, ListRunsRequest, Run, RunNowRequest, RunNowResponse,
    RunOutput, RunResult, SubmitRunRequest,
};
use crate::pagination::{Page, merge_array_pages, token_list};
use crate::wait::{PollOptions, Progress, poll_until, wait_error};
use crate::{Error, Result, WorkspaceClient};

const JOBS: &str = "/api/2.2/jobs";

/// Arrays of `jobs/get` that API 2.2 pages (merged by [`JobsApi::get`]).
const JOB_ARRAYS: &[&str] = &[
    "settings.tasks",
    "settings.job_clusters",
    "settings.parameters",
    "settings.environments",
];

/// Arrays of `jobs/runs/get` that API 2.2 pages (merged by [`JobsApi::get_run`]). When a run
/// has `iterations` (a for-each task run), those are paged instead of `tasks`.
const RUN_ARRAYS: &[&str] = &["tasks", "job_clusters", "job_parameters", "repair_history"];
const RUN_ITERATION_ARRAYS: &[&str] = &[
    "iterations",
    "job_clusters",
    "job_parameters",
    "repair_history",
];

impl WorkspaceClient {
    /// The Jobs API (2.2).
    ///
    /// ```no_run
    /// # async fn example() -> databricks_client::Result<()> {
    /// use databricks_client::WorkspaceClient;
    /// use databricks_client::models::jobs::{ListJobsRequest, RunNowRequest};
    /// use databricks_client::wait::PollOptions;
    /// use futures::TryStreamExt;
    ///
    /// let client = WorkspaceClient::from_env()?;
    /// let jobs: Vec<_> = client.jobs().list(ListJobsRequest::new()).try_collect().await?;
    /// if let Some(job) = jobs.first() {
    ///     let run = client.jobs().run_now(&RunNowRequest::new(job.job_id)).await?;
    ///     let result = client.jobs().wait_for_run(run.run_id, &PollOptions::default()).await?;
    ///     println!("success: {}, message: {:?}", result.success, result.message);
    /// }
    /// # Ok(())
    /// # }
    /// ```
    pub fn jobs(&self) -> JobsApi {
        JobsApi {
            client: self.clone(),
        }
    }
}

/// Handle to the Jobs API; cheap to clone. Get one with [`WorkspaceClient::jobs`].
#[derive(Debug, Clone)]
pub struct JobsApi {
    client: WorkspaceClient,
}

#[derive(Deserialize)]
struct JobsPage {
    #[serde(default)]
    jobs: Vec<Job>,
    #[serde(default)]
    next_page_token: Option<String>,
}

#[derive(Deserialize)]
struct RunsPage {
    #[serde(default)]
    runs: Vec<Run>,
    #[serde(default)]
    next_page_token: Option<String>,
}

#[derive(Deserialize)]
struct CreateResponse {
    job_id: i64,
}

#[derive(Deserialize)]
struct SubmitResponse {
    run_id: i64,
}

impl JobsApi {
    /// Lists jobs (`GET /api/2.2/jobs/list`), following `next_page_token`.
    ///
    /// With `expand_tasks`, jobs whose arrays were truncated have `has_more == Some(true)`;
    /// call [`get`](Self::get) for the full settings.
    pub fn list(
        &self,
        request: ListJobsRequest,
    ) -> impl Stream<Item = Result<Job>> + Send + 'static {
        token_list(
            self.client.clone(),
            format!("{JOBS}/list"),
            request,
            |page: JobsPage| Page::new(page.jobs, page.next_page_token),
        )
    }

    /// Gets a job (`GET /api/2.2/jobs/get`), fetching every page of its tasks, job clusters,
    /// parameters and environments and merging them.
    ///
    /// An unknown id is a not-found error (`err.is_not_found()`).
    pub async fn get(&self, job_id: i64) -> Result<Job> {
        let path = format!("{JOBS}/get");
        let id = job_id.to_string();
        let first: Value = self
            .client
            .get(&path)
            .query(&[("job_id", id.as_str())])
            .send_json()
            .await?;
        let client = self.client.clone();
        let merged = merge_array_pages(first, JOB_ARRAYS, move |token: String| {
            let client = client.clone();
            let path = path.clone();
            let id = id.clone();
            async move {
                client
                    .get(&path)
                    .query(&[("job_id", id.as_str()), ("page_token", token.as_str())])
                    .send_json::<Value>()
                    .await
            }
        })
        .await?;
        decode("/api/2.2/jobs/get", merged)
    }

    /// Creates a job (`POST /api/2.2/jobs/create`) and returns its id.
    pub async fn create(&self, settings: &JobSettings) -> Result<i64> {
        let resp: CreateResponse = self
            .client
            .post(format!("{JOBS}/create"))
            .json(settings)
            .send_json()
            .await?;
        Ok(resp.job_id)
    }

    /// Overwrites all settings of a job (`POST /api/2.2/jobs/reset`).
    pub async fn reset(&self, job_id: i64, new_settings: &JobSettings) -> Result<()> {
        self.client
            .post(format!("{JOBS}/reset"))
            .json(&json!({"job_id": job_id, "new_settings": new_settings}))
            .idempotent(true)
            .send_empty()
            .await
    }

    /// Partially updates a job (`POST /api/2.2/jobs/update`): top-level fields in
    /// `new_settings` replace the current ones, `tasks`/`job_clusters` are merged by key, and
    /// `fields_to_remove` (e.g. `"libraries"`, `"tasks/task_1"`) are removed.
    pub async fn update(
        &self,
        job_id: i64,
        new_settings: &JobSettings,
        fields_to_remove: &[&str],
    ) -> Result<()> {
        let mut body = json!({"job_id": job_id, "new_settings": new_settings});
        if !fields_to_remove.is_empty()
            && let Some(map) = body.as_object_mut()
        {
            map.insert("fields_to_remove".to_owned(), json!(fields_to_remove));
        }
        self.client
            .post(format!("{JOBS}/update"))
            .json(&body)
            .send_empty()
            .await
    }

    /// Deletes a job (`POST /api/2.2/jobs/delete`).
    pub async fn delete(&self, job_id: i64) -> Result<()> {
        self.client
            .post(format!("{JOBS}/delete"))
            .json(&json!({"job_id": job_id}))
            .idempotent(true)
            .send_empty()
            .await
    }

    /// Triggers a run (`POST /api/2.2/jobs/run-now`).
    ///
    /// With an `idempotency_token` the request is retried like an idempotent one (the server
    /// returns the existing run for a repeated token); without one it is never re-sent after
    /// it may have reached the server.
    pub async fn run_now(&self, request: &RunNowRequest) -> Result<RunNowResponse> {
        self.client
            .post(format!("{JOBS}/run-now"))
            .json(request)
            .idempotent(request.idempotency_token.is_some())
            .send_json()
            .await
    }

    /// Submits a one-time run (`POST /api/2.2/jobs/runs/submit`) and returns its run id.
    pub async fn submit(&self, request: &SubmitRunRequest) -> Result<i64> {
        let resp: SubmitResponse = self
            .client
            .post(format!("{JOBS}/runs/submit"))
            .json(request)
            .idempotent(request.idempotency_token.is_some())
            .send_json()
            .await?;
        Ok(resp.run_id)
    }

    /// Lists runs (`GET /api/2.2/jobs/runs/list`), newest first, following `next_page_token`.
    pub fn list_runs(
        &self,
        request: ListRunsRequest,
    ) -> impl Stream<Item = Result<Run>> + Send + 'static {
        token_list(
            self.client.clone(),
            format!("{JOBS}/runs/list"),
            request,
            |page: RunsPage| Page::new(page.runs, page.next_page_token),
        )
    }

    /// Gets a run (`GET /api/2.2/jobs/runs/get`), merging every page of its tasks (or
    /// iterations), job clusters, job parameters and repair history.
    pub async fn get_run(&self, run_id: i64) -> Result<Run> {
        let path = format!("{JOBS}/runs/get");
        let id = run_id.to_string();
        let first: Value = self
            .client
            .get(&path)
            .query(&[("run_id", id.as_str())])
            .send_json()
            .await?;
        let paging_iterations = first
            .get("iterations")
            .and_then(Value::as_array)
            .is_some_and(|a| !a.is_empty());
        let arrays = if paging_iterations {
            RUN_ITERATION_ARRAYS
        } else {
            RUN_ARRAYS
        };
        let client = self.client.clone();
        let merged = merge_array_pages(first, arrays, move |token: String| {
            let client = client.clone();
            let path = path.clone();
            let id = id.clone();
            async move {
                client
                    .get(&path)
                    .query(&[("run_id", id.as_str()), ("page_token", token.as_str())])
                    .send_json::<Value>()
                    .await
            }
        })
        .await?;
        decode("/api/2.2/jobs/runs/get", merged)
    }

    /// Gets the output of a **task** run (`GET /api/2.2/jobs/runs/get-output`); pass a
    /// `run.tasks[].run_id`, not the id of a multi-task parent run.
    pub async fn get_run_output(&self, run_id: i64) -> Result<RunOutput> {
        self.client
            .get(format!("{JOBS}/runs/get-output"))
            .query(&[("run_id", run_id.to_string())])
            .send_json()
            .await
    }

    /// Requests cancellation of a run (`POST /api/2.2/jobs/runs/cancel`; asynchronous).
    pub async fn cancel_run(&self, run_id: i64) -> Result<()> {
        self.client
            .post(format!("{JOBS}/runs/cancel"))
            .json(&json!({"run_id": run_id}))
            .idempotent(true)
            .send_empty()
            .await
    }

    /// Cancels all active runs of a job (`POST /api/2.2/jobs/runs/cancel-all`), and queued ones
    /// too with `all_queued_runs`.
    pub async fn cancel_all_runs(&self, job_id: i64, all_queued_runs: bool) -> Result<()> {
        self.client
            .post(format!("{JOBS}/runs/cancel-all"))
            .json(&json!({"job_id": job_id, "all_queued_runs": all_queued_runs}))
            .idempotent(true)
            .send_empty()
            .await
    }

    /// Deletes a finished run (`POST /api/2.2/jobs/runs/delete`).
    pub async fn delete_run(&self, run_id: i64) -> Result<()> {
        self.client
            .post(format!("{JOBS}/runs/delete"))
            .json(&json!({"run_id": run_id}))
            .idempotent(true)
            .send_empty()
            .await
    }

    /// Polls `runs/get` until the run is finished and returns the outcome.
    ///
    /// Finished means `status.state == TERMINATED`, or (older servers) a legacy
    /// `state.life_cycle_state` of `TERMINATED`, `SKIPPED` or `INTERNAL_ERROR`. A failed run is
    /// **not** an error: inspect [`RunResult::success`], [`RunResult::termination`] and the
    /// per-task [`RunResult::tasks`]. Errors are request errors and the wait timing out
    /// (`opts.timeout`, default 20 minutes).
    pub async fn wait_for_run(&self, run_id: i64, opts: &PollOptions) -> Result<RunResult> {
        let what = format!("job run {run_id}");
        let run = poll_until(opts, &what, || async {
            let run = self.get_run(run_id).await?;
            if run.is_terminal() {
                Ok(Progress::Ready(run))
            } else {
                Ok(Progress::Pending(run))
            }
        })
        .await
        .map_err(|e| wait_error(e, |run| Some(run_state_summary(run))))?;
        Ok(RunResult::from(run))
    }
}

/// A short description of a run's state for timeout errors.
fn run_state_summary(run: &Run) -> String {
    let status = run.status_state().map_or("-", |s| s.as_str());
    let legacy = run.life_cycle_state().map_or("-", |s| s.as_str());
    format!("status.state {status}, state.life_cycle_state {legacy}")
}

/// Decodes a merged response, naming the JSON path of a value that does not fit.
fn decode<T: serde::de::DeserializeOwned>(path: &str, value: Value) -> Result<T> {
    let excerpt: String = value.to_string().chars().take(200).collect();
    serde_path_to_error::deserialize(value).map_err(|e| Error::Decode {
        method: "GET".to_owned(),
        path: path.to_owned(),
        json_path: e.path().to_string(),
        message: e.inner().to_string(),
        excerpt,
    })
}
