use futures::TryStreamExt;
use serde_json::json;
use wiremock::matchers::{method, path, query_param, query_param_is_missing};
use wiremock::{Mock, MockServer, ResponseTemplate};

use databricks_client::models::jobs::{
    JobSettings, ListJobsRequest, ListRunsRequest, RunNowRequest, RunResultState, SubmitRunRequest,
    Task, TerminationCode,
};

use crate::{Sequence, bodies, client, fast_poll, ok_json};

#[tokio::test]
async fn list_follows_page_tokens_and_sends_filters() {
    let server = MockServer::start().await;
    Mock::given(method("GET"))
        .and(path("/api/2.2/jobs/list"))
        .and(query_param("name", "etl"))
        .and(query_param("expand_tasks", "true"))
        .and(query_param_is_missing("page_token"))
        .respond_with(ok_json(json!({
            "jobs": [{"job_id": 1, "settings": {"name": "etl"}, "created_time": 1}],
            "has_more": true,
            "next_page_token": "tok-2"
        })))
        .expect(1)
        .mount(&server)
        .await;
    Mock::given(method("GET"))
        .and(path("/api/2.2/jobs/list"))
        .and(query_param("page_token", "tok-2"))
        .and(query_param("name", "etl"))
        .respond_with(ok_json(json!({
            "jobs": [{"job_id": 2, "settings": {"name": "etl"}, "has_more": true}],
            "has_more": false
        })))
        .expect(1)
        .mount(&server)
        .await;

    let jobs: Vec<_> = client(&server)
        .jobs()
        .list(
            ListJobsRequest::new()
                .with_name("etl")
                .with_expand_tasks(true),
        )
        .try_collect()
        .await
        .unwrap();
    assert_eq!(
        jobs.iter().map(|j| j.job_id).collect::<Vec<_>>(),
        vec![1, 2]
    );
    assert_eq!(jobs[1].has_more, Some(true));
    assert_eq!(jobs[0].name(), Some("etl"));
}

#[tokio::test]
async fn get_merges_nested_array_pages() {
    let server = MockServer::start().await;
    Mock::given(method("GET"))
        .and(path("/api/2.2/jobs/get"))
        .and(query_param("job_id", "7"))
        .and(query_param_is_missing("page_token"))
        .respond_with(ok_json(json!({
            "job_id": 7,
            "creator_user_name": "a@example.com",
            "settings": {
                "name": "big",
                "tasks": [{"task_key": "t1", "notebook_task": {"notebook_path": "/a"}},
                          {"task_key": "t2", "notebook_task": {"notebook_path": "/b"}}],
                "job_clusters": [{"job_cluster_key": "c1", "new_cluster": {"spark_version": "15.4.x-scala2.12", "num_workers": 1}}],
                "format": "MULTI_TASK"
            },
            "has_more": true,
            "next_page_token": "p2"
        })))
        .expect(1)
        .mount(&server)
        .await;
    Mock::given(method("GET"))
        .and(path("/api/2.2/jobs/get"))
        .and(query_param("job_id", "7"))
        .and(query_param("page_token", "p2"))
        .respond_with(ok_json(json!({
            "job_id": 7,
            "settings": {
                "name": "big",
                "tasks": [{"task_key": "t3", "depends_on": [{"task_key": "t1"}], "spark_python_task": {"python_file": "x.py"}}],
                "job_clusters": [{"job_cluster_key": "c2", "new_cluster": {"spark_version": "15.4.x-scala2.12", "num_workers": 2}}],
                "parameters": [{"name": "p", "default": "1"}]
            },
            "has_more": false
        })))
        .expect(1)
        .mount(&server)
        .await;

    let job = client(&server).jobs().get(7).await.unwrap();
    let settings = job.settings.unwrap();
    let keys: Vec<_> = settings.tasks.iter().map(|t| t.task_key.as_str()).collect();
    assert_eq!(keys, ["t1", "t2", "t3"]);
    assert_eq!(settings.job_clusters.len(), 2);
    assert_eq!(settings.parameters.len(), 1);
    assert_eq!(job.creator_user_name.as_deref(), Some("a@example.com"));
    assert!(!job.extra.contains_key("next_page_token"));
}

#[tokio::test]
async fn get_unknown_job_is_not_found() {
    let server = MockServer::start().await;
    Mock::given(method("GET"))
        .and(path("/api/2.2/jobs/get"))
        .respond_with(ResponseTemplate::new(400).set_body_json(json!({
            "error_code": "INVALID_PARAMETER_VALUE",
            "message": "Job 404 does not exist."
        })))
        .mount(&server)
        .await;
    let err = client(&server).jobs().get(404).await.unwrap_err();
    assert!(err.is_not_found(), "{err:?}");
}

#[tokio::test]
async fn create_reset_update_delete_send_expected_bodies() {
    let server = MockServer::start().await;
    Mock::given(method("POST"))
        .and(path("/api/2.2/jobs/create"))
        .respond_with(ok_json(json!({"job_id": 99})))
        .mount(&server)
        .await;
    for op in ["reset", "update", "delete"] {
        Mock::given(method("POST"))
            .and(path(format!("/api/2.2/jobs/{op}")))
            .respond_with(ok_json(json!({})))
            .expect(1)
            .mount(&server)
            .await;
    }
    let jobs = client(&server).jobs();
    let settings = JobSettings::new("nightly")
        .with_task(Task::notebook("ingest", "/Workspace/ingest").with_existing_cluster_id("c-1"))
        .with_max_concurrent_runs(1);
    assert_eq!(jobs.create(&settings).await.unwrap(), 99);
    jobs.reset(99, &settings).await.unwrap();
    jobs.update(
        99,
        &JobSettings::default().with_timeout_seconds(60),
        &["tasks/old"],
    )
    .await
    .unwrap();
    jobs.delete(99).await.unwrap();

    let mut all = Vec::new();
    for op in ["create", "reset", "update", "delete"] {
        all.push(json!({op: bodies(&server, "POST", &format!("/api/2.2/jobs/{op}")).await}));
    }
    insta::assert_json_snapshot!("jobs_mutation_bodies", all);
}

#[tokio::test]
async fn create_error_is_typed() {
    let server = MockServer::start().await;
    Mock::given(method("POST"))
        .and(path("/api/2.2/jobs/create"))
        .respond_with(ResponseTemplate::new(403).set_body_json(json!({
            "error_code": "PERMISSION_DENIED",
            "message": "User does not have permission to create jobs."
        })))
        .expect(1)
        .mount(&server)
        .await;
    let err = client(&server)
        .jobs()
        .create(&JobSettings::new("x"))
        .await
        .unwrap_err();
    assert!(err.is_permission_denied(), "{err:?}");
}

#[tokio::test]
async fn run_now_with_token_is_retried_without_token_is_not() {
    let server = MockServer::start().await;
    Mock::given(method("POST"))
        .and(path("/api/2.2/jobs/run-now"))
        .respond_with(Sequence::new(vec![
            ResponseTemplate::new(500)
                .set_body_json(json!({"error_code": "INTERNAL_ERROR", "message": "boom"})),
            ok_json(json!({"run_id": 555, "number_in_job": 3})),
        ]))
        .mount(&server)
        .await;
    let jobs = client(&server).jobs();
    let resp = jobs
        .run_now(
            &RunNowRequest::new(7)
                .with_parameter("env", "prod")
                .with_idempotency_token("tok-123"),
        )
        .await
        .unwrap();
    assert_eq!(resp.run_id, 555);
    assert_eq!(resp.number_in_job, Some(3));
    let sent = bodies(&server, "POST", "/api/2.2/jobs/run-now").await;
    assert_eq!(sent.len(), 2, "retried once");
    assert_eq!(
        sent[0],
        json!({"job_id": 7, "job_parameters": {"env": "prod"}, "idempotency_token": "tok-123"})
    );

    let server = MockServer::start().await;
    Mock::given(method("POST"))
        .and(path("/api/2.2/jobs/run-now"))
        .respond_with(
            ResponseTemplate::new(500)
                .set_body_json(json!({"error_code": "INTERNAL_ERROR", "message": "boom"})),
        )
        .expect(1)
        .mount(&server)
        .await;
    let err = client(&server)
        .jobs()
        .run_now(&RunNowRequest::new(7))
        .await
        .unwrap_err();
    assert_eq!(err.status(), Some(500));
}

#[tokio::test]
async fn submit_and_run_mutations() {
    let server = MockServer::start().await;
    Mock::given(method("POST"))
        .and(path("/api/2.2/jobs/runs/submit"))
        .respond_with(ok_json(json!({"run_id": 1234})))
        .expect(1)
        .mount(&server)
        .await;
    for op in ["cancel", "cancel-all", "delete"] {
        Mock::given(method("POST"))
            .and(path(format!("/api/2.2/jobs/runs/{op}")))
            .respond_with(ResponseTemplate::new(200))
            .expect(1)
            .mount(&server)
            .await;
    }
    let jobs = client(&server).jobs();
    let run_id = jobs
        .submit(&SubmitRunRequest::new("one-off").with_task(
            Task::python_file("main", "/Workspace/x.py").with_environment_key("default"),
        ))
        .await
        .unwrap();
    assert_eq!(run_id, 1234);
    jobs.cancel_run(1234).await.unwrap();
    jobs.cancel_all_runs(7, true).await.unwrap();
    jobs.delete_run(1234).await.unwrap();
    assert_eq!(
        bodies(&server, "POST", "/api/2.2/jobs/runs/submit").await,
        vec![
            json!({"run_name": "one-off", "tasks": [{"task_key": "main", "environment_key": "default", "spark_python_task": {"python_file": "/Workspace/x.py"}}]})
        ]
    );
    assert_eq!(
        bodies(&server, "POST", "/api/2.2/jobs/runs/cancel-all").await,
        vec![json!({"job_id": 7, "all_queued_runs": true})]
    );
    assert_eq!(
        bodies(&server, "POST", "/api/2.2/jobs/runs/delete").await,
        vec![json!({"run_id": 1234})]
    );
}

#[tokio::test]
async fn list_runs_pages_and_filters() {
    let server = MockServer::start().await;
    Mock::given(method("GET"))
        .and(path("/api/2.2/jobs/runs/list"))
        .and(query_param("job_id", "7"))
        .and(query_param("active_only", "true"))
        .and(query_param_is_missing("page_token"))
        .respond_with(ok_json(json!({"runs": [{"run_id": 1, "job_id": 7, "state": {"life_cycle_state": "RUNNING"}}], "has_more": true, "next_page_token": "n"})))
        .mount(&server)
        .await;
    Mock::given(method("GET"))
        .and(path("/api/2.2/jobs/runs/list"))
        .and(query_param("page_token", "n"))
        .respond_with(ok_json(
            json!({"runs": [], "has_more": true, "next_page_token": "m"}),
        ))
        .mount(&server)
        .await;
    Mock::given(method("GET"))
        .and(path("/api/2.2/jobs/runs/list"))
        .and(query_param("page_token", "m"))
        .respond_with(ok_json(
            json!({"runs": [{"run_id": 2, "job_id": 7}], "has_more": false}),
        ))
        .mount(&server)
        .await;
    let runs: Vec<_> = client(&server)
        .jobs()
        .list_runs(ListRunsRequest::for_job(7).with_active_only(true))
        .try_collect()
        .await
        .unwrap();
    assert_eq!(
        runs.iter().map(|r| r.run_id).collect::<Vec<_>>(),
        vec![1, 2]
    );
}

#[tokio::test]
async fn get_run_merges_tasks_and_get_output() {
    let server = MockServer::start().await;
    Mock::given(method("GET"))
        .and(path("/api/2.2/jobs/runs/get"))
        .and(query_param("run_id", "10"))
        .and(query_param_is_missing("page_token"))
        .respond_with(ok_json(json!({
            "run_id": 10, "job_id": 7, "run_type": "JOB_RUN",
            "tasks": [{"run_id": 11, "task_key": "a"}],
            "job_parameters": [{"name": "env", "default": "dev", "value": "prod"}],
            "next_page_token": "x", "has_more": true
        })))
        .mount(&server)
        .await;
    Mock::given(method("GET"))
        .and(path("/api/2.2/jobs/runs/get"))
        .and(query_param("page_token", "x"))
        .respond_with(ok_json(
            json!({"run_id": 10, "tasks": [{"run_id": 12, "task_key": "b"}]}),
        ))
        .mount(&server)
        .await;
    Mock::given(method("GET"))
        .and(path("/api/2.2/jobs/runs/get-output"))
        .and(query_param("run_id", "11"))
        .respond_with(ok_json(json!({
            "metadata": {"run_id": 11, "task_key": "a"},
            "notebook_output": {"result": "42", "truncated": false},
            "logs": "hello"
        })))
        .mount(&server)
        .await;
    let jobs = client(&server).jobs();
    let run = jobs.get_run(10).await.unwrap();
    assert_eq!(
        run.tasks.iter().map(|t| t.run_id).collect::<Vec<_>>(),
        vec![11, 12]
    );
    assert_eq!(run.job_parameters[0].value.as_deref(), Some("prod"));
    let output = jobs.get_run_output(11).await.unwrap();
    assert_eq!(
        output.notebook_output.unwrap().result.as_deref(),
        Some("42")
    );
    assert_eq!(output.logs.as_deref(), Some("hello"));
}

#[tokio::test]
async fn wait_for_run_on_new_status_with_task_outcomes() {
    let server = MockServer::start().await;
    Mock::given(method("GET"))
        .and(path("/api/2.2/jobs/runs/get"))
        .respond_with(Sequence::new(vec![
            ok_json(json!({"run_id": 5, "status": {"state": "QUEUED", "queue_details": {"code": "ACTIVE_RUNS_LIMIT_REACHED", "message": "queued"}}})),
            ok_json(json!({"run_id": 5, "status": {"state": "RUNNING"}, "state": {"life_cycle_state": "RUNNING"}})),
            ok_json(json!({
                "run_id": 5,
                "status": {"state": "TERMINATED", "termination_details": {"code": "RUN_EXECUTION_ERROR", "type": "CLIENT_ERROR", "message": "Task b failed with message: boom."}},
                "state": {"life_cycle_state": "TERMINATED", "result_state": "FAILED", "state_message": "Task b failed"},
                "tasks": [
                    {"run_id": 51, "task_key": "a", "status": {"state": "TERMINATED", "termination_details": {"code": "SUCCESS", "type": "SUCCESS", "message": ""}}},
                    {"run_id": 52, "task_key": "b", "status": {"state": "TERMINATED", "termination_details": {"code": "RUN_EXECUTION_ERROR", "type": "CLIENT_ERROR", "message": "boom"}}}
                ]
            })),
        ]))
        .mount(&server)
        .await;
    let result = client(&server)
        .jobs()
        .wait_for_run(5, &fast_poll())
        .await
        .unwrap();
    assert!(!result.success);
    assert_eq!(
        result.termination.as_ref().and_then(|t| t.code.clone()),
        Some(TerminationCode::RunExecutionError)
    );
    assert_eq!(
        result.message.as_deref(),
        Some("Task b failed with message: boom.")
    );
    assert_eq!(result.result_state, Some(RunResultState::Failed));
    let outcomes: Vec<_> = result
        .tasks
        .iter()
        .map(|t| (t.task_key.as_str(), t.success))
        .collect();
    assert_eq!(outcomes, [("a", true), ("b", false)]);
    assert_eq!(
        bodies(&server, "GET", "/api/2.2/jobs/runs/get").await.len(),
        3
    );
}

#[tokio::test]
async fn wait_for_run_on_legacy_state_only() {
    for (terminal, success) in [
        ("TERMINATED", true),
        ("SKIPPED", false),
        ("INTERNAL_ERROR", false),
    ] {
        let server = MockServer::start().await;
        let last = if terminal == "TERMINATED" {
            json!({"run_id": 6, "state": {"life_cycle_state": terminal, "result_state": "SUCCESS"}})
        } else {
            json!({"run_id": 6, "state": {"life_cycle_state": terminal, "state_message": "why"}})
        };
        Mock::given(method("GET"))
            .and(path("/api/2.2/jobs/runs/get"))
            .respond_with(Sequence::new(vec![
                ok_json(json!({"run_id": 6, "state": {"life_cycle_state": "PENDING"}})),
                ok_json(last),
            ]))
            .mount(&server)
            .await;
        let result = client(&server)
            .jobs()
            .wait_for_run(6, &fast_poll())
            .await
            .unwrap();
        assert_eq!(result.success, success, "{terminal}");
        if !success {
            assert_eq!(result.message.as_deref(), Some("why"));
        }
    }
}

#[tokio::test]
async fn wait_for_run_times_out() {
    let server = MockServer::start().await;
    Mock::given(method("GET"))
        .and(path("/api/2.2/jobs/runs/get"))
        .respond_with(ok_json(
            json!({"run_id": 8, "status": {"state": "RUNNING"}}),
        ))
        .mount(&server)
        .await;
    let opts = fast_poll().with_timeout(std::time::Duration::from_millis(100));
    let err = client(&server)
        .jobs()
        .wait_for_run(8, &opts)
        .await
        .unwrap_err();
    let message = err.to_string();
    assert!(message.contains("job run 8"), "{message}");
    assert!(message.contains("status.state RUNNING"), "{message}");
    assert!(
        !message.contains("run_id"),
        "compact state, not a Debug dump: {message}"
    );
}

#[tokio::test]
async fn get_run_of_for_each_task_pages_iterations_only() {
    let server = MockServer::start().await;
    let task = json!({"run_id": 21, "task_key": "each", "for_each_task": {"inputs": "[1,2]", "task": {"task_key": "inner"}}});
    Mock::given(method("GET"))
        .and(path("/api/2.2/jobs/runs/get"))
        .and(query_param_is_missing("page_token"))
        .respond_with(ok_json(json!({
            "run_id": 21, "tasks": [task.clone()],
            "iterations": [{"run_id": 31, "task_key": "inner"}],
            "next_page_token": "it2"
        })))
        .mount(&server)
        .await;
    Mock::given(method("GET"))
        .and(path("/api/2.2/jobs/runs/get"))
        .and(query_param("page_token", "it2"))
        .respond_with(ok_json(json!({
            "run_id": 21, "tasks": [task],
            "iterations": [{"run_id": 32, "task_key": "inner"}]
        })))
        .mount(&server)
        .await;
    let run = client(&server).jobs().get_run(21).await.unwrap();
    assert_eq!(run.tasks.len(), 1);
    assert_eq!(
        run.iterations.iter().map(|t| t.run_id).collect::<Vec<_>>(),
        vec![31, 32]
    );
}

#[tokio::test]
async fn get_unknown_run_is_not_found() {
    let server = MockServer::start().await;
    Mock::given(method("GET"))
        .and(path("/api/2.2/jobs/runs/get"))
        .respond_with(ResponseTemplate::new(400).set_body_json(json!({
            "error_code": "INVALID_PARAMETER_VALUE",
            "message": "Run 123 does not exist."
        })))
        .mount(&server)
        .await;
    let err = client(&server).jobs().get_run(123).await.unwrap_err();
    assert!(err.is_not_found(), "{err:?}");
}

#[tokio::test]
async fn list_requests_serialise_to_the_query_leaving_unset_filters_out() {
    let server = MockServer::start().await;
    Mock::given(method("GET"))
        .and(path("/api/2.2/jobs/runs/list"))
        .respond_with(ok_json(json!({"runs": [], "has_more": false})))
        .mount(&server)
        .await;
    let request = ListRunsRequest::for_job(7).with_active_only(true);
    let _: Vec<_> = client(&server)
        .jobs()
        .list_runs(request)
        .try_collect()
        .await
        .unwrap();
    let received = server.received_requests().await.unwrap_or_default();
    let mut pairs: Vec<(String, String)> = received[0]
        .url
        .query_pairs()
        .map(|(k, v)| (k.into_owned(), v.into_owned()))
        .collect();
    pairs.sort();
    // `completed_only` and `expand_tasks` are false and the options are unset: not sent.
    assert_eq!(
        pairs,
        [
            ("active_only".to_owned(), "true".to_owned()),
            ("job_id".to_owned(), "7".to_owned())
        ]
    );
}
