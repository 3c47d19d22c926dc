import HMDistCLI
import HMPlatform

// Before anything else (and before MPI_Init): pick OpenBLAS's kernel, which may re-exec.
Startup.prepareBLAS()
HMDist.main()
