# Site profile: a generic PBS cluster with Open MPI (mpirun reads the PBS node file).
# qsub -v CONFIG=cluster-configs/b1.yaml,RUN_DIR=runs/b1,HM_DIST_SITE=cluster-configs/sites/pbs-generic.sh \
#      launch/pbs/hm-dist.pbs
# module load openmpi openblas zstd
export HM_DIST_LAUNCHER="mpirun --bind-to core"
export OPENBLAS_NUM_THREADS=1
