public enum HMDistCLI {}
