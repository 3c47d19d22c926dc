# Site profile: a generic Slurm cluster with PMIx-enabled Open MPI. Sourced by
# launch/slurm/hm-dist.sbatch when HM_DIST_SITE points here; combine with an experiment
# config:  HM_DIST_SITE=cluster-configs/sites/slurm-generic.sh sbatch --ntasks=8 \
#            launch/slurm/hm-dist.sbatch cluster-configs/b1.yaml runs/b1
# module load openmpi openblas zstd     # if the site uses environment modules
export HM_DIST_LAUNCHER="srun --mpi=pmix --cpu-bind=cores"
export OPENBLAS_NUM_THREADS=1           # one BLAS thread per rank; use ranks for cores
