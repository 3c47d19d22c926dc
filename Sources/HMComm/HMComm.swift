public enum HMComm {}
