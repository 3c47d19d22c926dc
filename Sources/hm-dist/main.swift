import HMDistCLI
