import CKernels
public enum HMCore {}
