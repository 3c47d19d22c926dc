public enum HMData {}
