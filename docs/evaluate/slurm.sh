#!/bin/bash
# featurevis evaluate as a Slurm job array: task i of N evaluates the images whose sorted index is ≡ i (mod N)
# (featurevis reads SLURM_ARRAY_TASK_ID, SLURM_ARRAY_TASK_MIN/MAX and SLURM_ARRAY_TASK_COUNT) and writes
# results/results-i.jsonl. Submit (results/ must exist: Slurm opens the logs there first), then merge once every
# task has ended:
#   mkdir -p results && jid=$(sbatch --parsable docs/evaluate/slurm.sh)
#   sbatch --dependency=afterany:$jid --wrap "featurevis evaluate --merge 'results/results-*.jsonl' --out results/summary.csv --plot results/summary.png"
# The array must be contiguous (0-N or 1-N, no :step); a requeued or re-submitted task continues its file (--resume).
#SBATCH --job-name=featurevis-evaluate
#SBATCH --array=0-7
#SBATCH --cpus-per-task=4
#SBATCH --mem=6G
#SBATCH --time=02:00:00
#SBATCH --output=results/evaluate-%a.log
#SBATCH --requeue
# SIGTERM 2 min before the time limit: featurevis stops after the current result and --resume picks it up.
#SBATCH --signal=B:TERM@120
set -euo pipefail
export FEATUREVIS_THREADS=${SLURM_CPUS_PER_TASK:-4}
# exec: the signal reaches featurevis, not only this shell.
exec featurevis evaluate \
  --model models/model.onnx \
  --images data/images \
  --methods gradient,guided-backprop,lrp-epsilon,grad-cam,occlusion \
  --metrics deletion,insertion \
  --seed 0 \
  --resume \
  --out "results/results-${SLURM_ARRAY_TASK_ID}.jsonl"
