//! The batch-scheduler recipes in `deploy/` run for real: every shard of a tournament as its own
//! process, all at once, as a Slurm job array or a Kubernetes Indexed Job would start them, then
//! one merge — whose result must equal one run of the whole tournament, to the last byte.

mod common;

use std::path::{Path, PathBuf};
use std::process::{Child, Command};

use common::{parley, scenario, stderr, workspace_root};

const SHARDS: usize = 4;

fn tournament_args() -> Vec<String> {
    ["--agents", "boulware,conceder,tit-for-tat,micro", "--scenarios", &scenario("ukraine-2025.toml"), "--reps", "2", "--rounds", "50"]
        .iter()
        .map(|arg| (*arg).to_owned())
        .collect()
}

/// The whole tournament in one process.
fn single_run(folder: &Path) -> String {
    let output = parley().arg("tournament").args(tournament_args()).args(["-o", folder.to_str().unwrap()]).output().unwrap();
    assert_eq!(output.status.code(), Some(0), "{}", stderr(&output));
    std::fs::read_to_string(folder.join("results.json")).unwrap()
}

/// A folder holding `parley` (a link to the binary under test), for PATH.
fn bin_folder(directory: &Path) -> PathBuf {
    let bin = directory.join("bin");
    std::fs::create_dir_all(&bin).unwrap();
    std::os::unix::fs::symlink(env!("CARGO_BIN_EXE_parley"), bin.join("parley")).unwrap();
    bin
}

fn path_with(bin: &Path) -> String {
    format!("{}:{}", bin.display(), std::env::var("PATH").unwrap_or_default())
}

fn wait_all(children: Vec<Child>) {
    for child in children {
        let output = child.wait_with_output().unwrap();
        assert_eq!(output.status.code(), Some(0), "{}", String::from_utf8_lossy(&output.stderr));
    }
}

#[test]
fn slurm_array_tasks_merge_to_the_single_run() {
    let directory = tempfile::tempdir().unwrap();
    let expected = single_run(&directory.path().join("whole"));
    let bin = bin_folder(directory.path());
    let run = directory.path().join("run");
    let slurm = workspace_root().join("deploy/slurm");
    // The array's tasks, all at once, each told its index as Slurm tells it.
    let tasks: Vec<Child> = (0..SHARDS)
        .map(|index| {
            Command::new("bash")
                .arg(slurm.join("tournament.sbatch"))
                .arg(&run)
                .args(tournament_args())
                .env("PATH", path_with(&bin))
                .env("SLURM_ARRAY_TASK_ID", index.to_string())
                .env("SLURM_ARRAY_TASK_COUNT", SHARDS.to_string())
                .env("SLURM_CPUS_PER_TASK", "1")
                .stdout(std::process::Stdio::piped())
                .stderr(std::process::Stdio::piped())
                .spawn()
                .unwrap()
        })
        .collect();
    wait_all(tasks);
    let merge = Command::new("bash").arg(slurm.join("merge.sbatch")).arg(&run).env("PATH", path_with(&bin)).output().unwrap();
    assert_eq!(merge.status.code(), Some(0), "{}", String::from_utf8_lossy(&merge.stderr));
    assert_eq!(std::fs::read_to_string(run.join("merged/results.json")).unwrap(), expected);
}

/// `name: value` pairs of a manifest's `env` entries, and its one `args` command line.
fn manifest(path: &Path) -> (Vec<(String, String)>, String, String) {
    let text = std::fs::read_to_string(path).unwrap();
    let lines: Vec<&str> = text.lines().map(str::trim).collect();
    let mut env = Vec::new();
    for pair in lines.windows(2) {
        if let (Some(name), Some(value)) = (pair[0].strip_prefix("- name: "), pair[1].strip_prefix("value: ")) {
            env.push((name.to_owned(), value.trim_matches('"').to_owned()));
        }
    }
    let args = lines.iter().position(|line| *line == "args:").expect("an args entry");
    let command = lines[args + 1].strip_prefix("- ").expect("one command line").to_owned();
    let completions = lines.iter().find_map(|line| line.strip_prefix("completions: ")).unwrap_or_default().to_owned();
    (env, command, completions)
}

#[test]
fn kubernetes_indexed_job_merges_to_the_single_run() {
    let directory = tempfile::tempdir().unwrap();
    let expected = single_run(&directory.path().join("whole"));
    let bin = bin_folder(directory.path());
    let kubernetes = workspace_root().join("deploy/kubernetes");
    let (env, command, completions) = manifest(&kubernetes.join("tournament.yaml"));
    let shards = env.iter().find(|(name, _)| name == "SHARDS").map(|(_, value)| value.clone()).expect("SHARDS");
    assert_eq!(completions, shards, "the Indexed Job's completions must equal SHARDS");
    let shards: usize = shards.parse().unwrap();
    // Each pod's command with the manifest's environment, the volume at a temporary folder and
    // this test's tournament.
    let pod = |command: &str, env: &[(String, String)], index: Option<usize>| {
        let mut pod = Command::new("sh");
        pod.arg("-c").arg(command).envs(env.iter().map(|(name, value)| (name.clone(), value.clone())));
        pod.env("PATH", path_with(&bin)).env("RESULTS", directory.path()).env("TOURNAMENT_ARGS", tournament_args().join(" "));
        if let Some(index) = index {
            pod.env("JOB_COMPLETION_INDEX", index.to_string());
        }
        pod.stdout(std::process::Stdio::piped()).stderr(std::process::Stdio::piped());
        pod
    };
    let pods: Vec<Child> = (0..shards).map(|index| pod(&command, &env, Some(index)).spawn().unwrap()).collect();
    wait_all(pods);
    let (merge_env, merge_command, _) = manifest(&kubernetes.join("merge.yaml"));
    let run = merge_env.iter().find(|(name, _)| name == "RUN").map(|(_, value)| value.clone()).expect("RUN");
    wait_all(vec![pod(&merge_command, &merge_env, None).spawn().unwrap()]);
    assert_eq!(std::fs::read_to_string(directory.path().join(run).join("merged/results.json")).unwrap(), expected);
}
