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
    /**
     * The audience of the token an agent shows a peer agent when it fetches a volume a drain moves
     * (a projected ServiceAccount token, deploy/50-agents.yaml): the API server accepts no such token.
     */
    public static final String PEER_AUDIENCE = "dynamic-storage-pools-peer";
    private static final int MAX_LABEL_VALUE = 63;

    /** External-provisioner contract annotations. */
    public static final String STORAGE_PROVISIONER_ANN = "volume.kubernetes.io/storage-provisioner";
    public static final String BETA_STORAGE_PROVISIONER_ANN = "volume.beta.kubernetes.io/storage-provisioner";
    public static final String SELECTED_NODE_ANN = "volume.kubernetes.io/selected-node";
    public static final String PROVISIONED_BY_ANN = "pv.kubernetes.io/provisioned-by";

    /**
     * A node name as the value of {@link #NODE_LABEL}: node names are DNS subdomains of up to 253
     * characters, label values at most 63, so a longer name becomes its (deterministic) hash;
     * select by this value, never by the raw name.
     */
    public static String nodeLabelValue(String node) {
        return node.length() <= MAX_LABEL_VALUE ? node : sha256(node).substring(0, MAX_LABEL_VALUE);
    }

    /** Hex SHA-256 of a text (names made from names too long for their place). */
    public static String sha256(String text) {
        try {
            return java.util.HexFormat.of().formatHex(java.security.MessageDigest.getInstance("SHA-256")
                    .digest(text.getBytes(java.nio.charset.StandardCharsets.UTF_8)));
        } catch (java.security.NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }
}
