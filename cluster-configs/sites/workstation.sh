# Site profile: one workstation, no scheduler. Run with launch/local.sh, which adds
# --allow-run-as-root and --oversubscribe only when they are needed:
#   launch/local.sh "$(nproc)" train --config cluster-configs/b1.yaml --run-dir runs/b1 --resume auto
# and requeue by hand after an interruption (the same command resumes).
export OPENBLAS_NUM_THREADS=1
