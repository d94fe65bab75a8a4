package dsp.kubernetes.controller;

import dsp.core.ledger.CapacityLedger;
import dsp.core.model.PoolCatalog;
import dsp.core.usecase.CapacityAdmission;
import dsp.core.usecase.FleetLock;
import dsp.core.usecase.PoolQueries;
import dsp.kubernetes.adapter.NodeLabelInventory;
import dsp.kubernetes.adapter.NodeReportedMeter;
import dsp.kubernetes.adapter.PoolVolumeStore;
import io.fabric8.kubernetes.api.model.Node;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.informers.SharedIndexInformer;
import java.time.Clock;

/**
 * The Kubernetes adapters of one controller process, fed by its informers, as a composition root
 * builds the use cases and the HTTP API on top of them.
 */
public record ControllerParts(KubernetesClient client, PoolCatalog catalog, Clock clock, CapacityLedger ledger,
                              PoolVolumeStore store, PoolQueries queries, CapacityAdmission admission, FleetLock lock,
                              NodeLabelInventory inventory, NodeReportedMeter meter, SharedIndexInformer<Node> nodes) {
}
