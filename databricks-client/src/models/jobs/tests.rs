use super::*;
use serde_json::json;

/// A `jobs/get` response shaped like the real API, with fields the models do not know at
/// every level (top, settings, task, nested for-each task, cluster, library, schedule…).
fn realistic_job() -> Value {
    json!({
        "job_id": 11223344,
        "creator_user_name": "someone@example.com",
        "run_as_user_name": "someone@example.com",
        "run_as_owner": true,
        "created_time": 1_700_000_000_000_i64,
        "effective_budget_policy_id": "bp-1",
        "trigger_state": {"file_arrival": {"using_file_events": true}},
        "settings": {
            "name": "nightly-etl",
            "description": "ETL",
            "email_notifications": {"on_failure": ["ops@example.com"], "no_alert_for_skipped_runs": false, "future_flag": 1},
            "webhook_notifications": {"on_failure": [{"id": "dest-1", "extra_thing": "x"}]},
            "notification_settings": {"no_alert_for_skipped_runs": true},
            "timeout_seconds": 0,
            "health": {"rules": [{"metric": "RUN_DURATION_SECONDS", "op": "GREATER_THAN", "value": 3600}]},
            "schedule": {"quartz_cron_expression": "0 0 2 * * ?", "timezone_id": "UTC", "pause_status": "UNPAUSED", "sql_condition": {"x": 1}},
            "max_concurrent_runs": 1,
            "tasks": [
                {
                    "task_key": "ingest",
                    "run_if": "ALL_SUCCESS",
                    "notebook_task": {"notebook_path": "/Workspace/etl/ingest", "base_parameters": {"env": "prod"}, "source": "WORKSPACE", "unknown_nb": [1, 2]},
                    "job_cluster_key": "main",
                    "libraries": [{"pypi": {"package": "requests==2.32.0"}}, {"egg": "dbfs:/x.egg"}],
                    "timeout_seconds": 0,
                    "email_notifications": {},
                    "disable_auto_optimization": true,
                    "webhook_notifications": {}
                },
                {
                    "task_key": "each",
                    "depends_on": [{"task_key": "ingest"}],
                    "for_each_task": {
                        "inputs": "[1,2,3]",
                        "concurrency": 2,
                        "task": {
                            "task_key": "each_iteration",
                            "spark_python_task": {"python_file": "etl/step.py", "source": "GIT", "parameters": ["--n", "{{input}}"]},
                            "environment_key": "default",
                            "new_task_field": {"deep": {"deeper": true}}
                        }
                    }
                },
                {
                    "task_key": "check",
                    "depends_on": [{"task_key": "each"}],
                    "condition_task": {"op": "EQUAL_TO", "left": "{{job.parameters.env}}", "right": "prod"}
                },
                {
                    "task_key": "report",
                    "depends_on": [{"task_key": "check", "outcome": "true"}],
                    "sql_task": {"warehouse_id": "wh-1", "file": {"path": "sql/report.sql", "source": "GIT"}},
                    "dbt_task": {"commands": ["dbt run"]}
                },
                {
                    "task_key": "wheel",
                    "existing_cluster_id": "0101-123456-abcdef",
                    "python_wheel_task": {"package_name": "pkg", "entry_point": "main", "named_parameters": {"a": "b"}},
                    "run_if": "SOMETHING_NEW"
                },
                {
                    "task_key": "downstream",
                    "run_job_task": {"job_id": 42, "job_parameters": {"k": "v"}},
                    "new_cluster": {
                        "spark_version": "15.4.x-scala2.12",
                        "node_type_id": "i3.xlarge",
                        "num_workers": 2,
                        "aws_attributes": {"availability": "SPOT_WITH_FALLBACK", "zone_id": "auto"},
                        "spark_conf": {"spark.speculation": "true"},
                        "a_new_cluster_field": "kept"
                    }
                }
            ],
            "job_clusters": [{
                "job_cluster_key": "main",
                "new_cluster": {
                    "spark_version": "15.4.x-scala2.12",
                    "node_type_id": "i3.xlarge",
                    "autoscale": {"min_workers": 1, "max_workers": 4, "mode": "ENHANCED"},
                    "data_security_mode": "SINGLE_USER",
                    "runtime_engine": "PHOTON",
                    "custom_tags": {"team": "data"},
                    "init_scripts": [{"workspace": {"destination": "/init.sh"}}],
                    "enable_elastic_disk": true,
                    "totally_unknown": {"nested": [1, {"a": null}]}
                }
            }],
            "environments": [{"environment_key": "default", "spec": {"client": "2", "dependencies": ["pandas"], "java_dependencies": ["/x.jar"]}}],
            "parameters": [{"name": "env", "default": "prod"}],
            "git_source": {"git_url": "https://github.com/acme/etl", "git_provider": "gitHub", "git_branch": "main", "sparse_checkout": {"patterns": ["etl"]}},
            "format": "MULTI_TASK",
            "queue": {"enabled": true},
            "run_as": {"user_name": "someone@example.com"},
            "tags": {"owner": "data"},
            "edit_mode": "UI_LOCKED",
            "deployment": {"kind": "BUNDLE", "metadata_file_path": "/Workspace/.bundle/metadata.json"},
            "budget_policy_id": "bp-1",
            "performance_target": "STANDARD",
            "trigger": {"pause_status": "PAUSED", "file_arrival": {"url": "/Volumes/a/b/c/"}, "model": {"condition": "X"}},
            "usage_policy_id": "up-1",
            "a_brand_new_setting": {"complex": [true, 1.5, "s"]}
        }
    })
}

#[test]
fn job_round_trip_keeps_unknown_fields() {
    let original = realistic_job();
    let job: Job = serde_json::from_value(original.clone()).unwrap();
    let back = serde_json::to_value(&job).unwrap();
    assert_eq!(back, original);

    let settings = job.settings.as_ref().unwrap();
    assert_eq!(settings.tasks.len(), 6);
    assert_eq!(job.name(), Some("nightly-etl"));
    let each = settings
        .task("each")
        .unwrap()
        .for_each_task
        .as_ref()
        .unwrap();
    assert_eq!(each.task.task_key, "each_iteration");
    assert!(each.task.extra.contains_key("new_task_field"));
    let wheel = settings.task("wheel").unwrap();
    assert_eq!(wheel.run_if, Some(RunIf::Other("SOMETHING_NEW".to_owned())));
    let cluster = settings.job_clusters[0].new_cluster.as_ref().unwrap();
    assert!(cluster.extra.contains_key("totally_unknown"));
    assert_eq!(
        settings.git_source.as_ref().unwrap().git_provider,
        Some(GitProvider::GitHub)
    );
    assert!(settings.extra.contains_key("a_brand_new_setting"));
}

#[test]
fn settings_round_trip_alone() {
    let original = realistic_job()["settings"].clone();
    let settings: JobSettings = serde_json::from_value(original.clone()).unwrap();
    assert_eq!(serde_json::to_value(&settings).unwrap(), original);
}

#[test]
fn builder_serialises_minimal_json() {
    let settings = JobSettings::new("x")
        .with_task(Task::notebook("a", "/nb").with_existing_cluster_id("c"))
        .with_task(Task::python_file("b", "f.py").with_depends_on("a"))
        .with_parameter("env", "dev")
        .with_queue(true);
    assert_eq!(
        serde_json::to_value(&settings).unwrap(),
        json!({
            "name": "x",
            "tasks": [
                {"task_key": "a", "existing_cluster_id": "c", "notebook_task": {"notebook_path": "/nb"}},
                {"task_key": "b", "depends_on": [{"task_key": "a"}], "spark_python_task": {"python_file": "f.py"}}
            ],
            "parameters": [{"name": "env", "default": "dev"}],
            "queue": {"enabled": true}
        })
    );
}

#[test]
fn run_terminal_by_status_or_legacy_state() {
    let run: Run = serde_json::from_value(json!({
        "run_id": 1,
        "status": {"state": "TERMINATED", "termination_details": {"code": "SUCCESS", "type": "SUCCESS", "message": ""}}
    }))
    .unwrap();
    assert!(run.is_terminal());
    assert!(run.is_success());

    let run: Run = serde_json::from_value(json!({
        "run_id": 2,
        "state": {"life_cycle_state": "INTERNAL_ERROR", "state_message": "boom"}
    }))
    .unwrap();
    assert!(run.is_terminal());
    assert!(!run.is_success());

    let run: Run = serde_json::from_value(json!({
        "run_id": 3,
        "state": {"life_cycle_state": "RUNNING"},
        "status": {"state": "RUNNING"}
    }))
    .unwrap();
    assert!(!run.is_terminal());
}

#[test]
fn string_enum_other_round_trips() {
    let v: RunLifeCycleState = serde_json::from_value(json!("NEW_STATE")).unwrap();
    assert_eq!(v, RunLifeCycleState::Other("NEW_STATE".to_owned()));
    assert_eq!(serde_json::to_value(&v).unwrap(), json!("NEW_STATE"));
    assert_eq!(RunLifeCycleState::from("SKIPPED").to_string(), "SKIPPED");
}

#[test]
fn run_state_predicates() {
    let terminal: Vec<_> = [
        RunStatusState::Queued,
        RunStatusState::Pending,
        RunStatusState::Running,
        RunStatusState::Terminating,
        RunStatusState::Terminated,
        RunStatusState::Blocked,
        RunStatusState::Waiting,
    ]
    .into_iter()
    .filter(RunStatusState::is_terminal)
    .collect();
    assert_eq!(terminal, [RunStatusState::Terminated]);
    assert!(RunLifeCycleState::InternalError.is_internal_error());
    assert!(!RunLifeCycleState::Terminated.is_internal_error());

    // A newer status that is still running wins over nothing; an unknown status state with a
    // terminal legacy state is still done.
    let run: Run = serde_json::from_value(json!({
        "run_id": 4,
        "state": {"life_cycle_state": "SKIPPED"},
        "status": {"state": "SOMETHING_NEW"}
    }))
    .unwrap();
    assert!(run.is_terminal());
}
