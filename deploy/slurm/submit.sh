#!/usr/bin/env bash
# Submits a sharded tournament and its merge to Slurm.
#
#   deploy/slurm/submit.sh SHARDS RUN_FOLDER TOURNAMENT_ARGS...
#   deploy/slurm/submit.sh 16 /shared/run1 --agents boulware,conceder --scenarios /shared/domains/* --reps 500
set -euo pipefail

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
shards=${1:?usage: submit.sh SHARDS RUN_FOLDER TOURNAMENT_ARGS...}
run=${2:?usage: submit.sh SHARDS RUN_FOLDER TOURNAMENT_ARGS...}
shift 2
jid=$(sbatch --parsable --array="0-$((shards - 1))" "$here/tournament.sbatch" "$run" "$@")
sbatch --parsable --dependency="afterok:$jid" "$here/merge.sbatch" "$run"
echo "shards: job $jid; merged results will be in $run/merged" >&2
