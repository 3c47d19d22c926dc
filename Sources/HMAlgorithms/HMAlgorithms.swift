public enum HMAlgorithms {}
