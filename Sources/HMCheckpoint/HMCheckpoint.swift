public enum HMCheckpoint {}
