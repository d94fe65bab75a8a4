package dsp.kubernetes;

/** Every name this system uses in the cluster, in one place: the guide's and our own. */
public final class Names {

    private Names() {
    }

    public static final String NAMESPACE = "dynamic-storage-pools";
    public static final String GROUP = "dynamicpools.io";
    public static final String POOL_LABEL = "pool";
    public static final String SHARE_ANNOTATION = GROUP + "/share";
    public static final String DISK_REPORT_ANNOTATION = GROUP + "/disk-report";
    public static final String NODE_LABEL = GROUP + "/node";
    public static final String POOL_NAME_LABEL = GROUP + "/pool";
    public static final String DATA_FINALIZER = GROUP + "/data";
    /**
     * The provisioner's name, which is also the name of our {@code CSIDriver} object: kube-scheduler
     * looks the driver up by the StorageClass's provisioner to decide whether to check capacity, so
     * it must be a DNS subdomain (no slash).
     */
    public static final String PROVISIONER = "pool-provisioner." + GROUP;
    public static final String CONFIG_MAP = "dynamic-storage-config";
    public static final String POOL_STATUS_KEY = "pool-status";
    public static final String CONFIG_KEY = "pools.yaml";
    public static final String HOSTNAME_LABEL = "kubernetes.io/hostname";

    /** External-provisioner contract annotations. */
    public static final String STORAGE_PROVISIONER_ANN = "volume.kubernetes.io/storage-provisioner";
    public static final String BETA_STORAGE_PROVISIONER_ANN = "volume.beta.kubernetes.io/storage-provisioner";
    public static final String SELECTED_NODE_ANN = "volume.kubernetes.io/selected-node";
    public static final String PROVISIONED_BY_ANN = "pv.kubernetes.io/provisioned-by";
}
