package dsp.kubernetes.adapter;

import dsp.core.ledger.CapacityLedger;
import io.fabric8.kubernetes.api.model.Node;
import io.fabric8.kubernetes.client.informers.ResourceEventHandler;
import io.fabric8.kubernetes.client.informers.SharedIndexInformer;
import java.time.Clock;

/**
 * Keeps the in-memory ledger in step with the Nodes, as the informer sees them: each Node is a
 * server (its {@code pool} label and share annotation) and carries its agent's last disk report,
 * dated by the agent, with its volumes' reported bytes as they are then. A label change made with
 * kubectl reaches the ledger here.
 */
public final class NodeLedgerFeed {

    private final CapacityLedger ledger;
    private final NodeReportedMeter reports;
    private final Clock clock;

    /** Registers on the informer; existing Nodes arrive as additions. */
    public NodeLedgerFeed(SharedIndexInformer<Node> nodes, NodeReportedMeter reports, CapacityLedger ledger, Clock clock) {
        this.ledger = ledger;
        this.reports = reports;
        this.clock = clock;
        nodes.addEventHandler(new ResourceEventHandler<>() {
            @Override
            public void onAdd(Node n) {
                seen(n);
            }

            @Override
            public void onUpdate(Node old, Node n) {
                seen(n);
            }

            @Override
            public void onDelete(Node n, boolean unknownFinalState) {
                ledger.removeServer(n.getMetadata().getName());
            }
        });
    }

    private void seen(Node n) {
        String name = n.getMetadata().getName();
        NodeLabelInventory.toServer(n).ifPresentOrElse(ledger::putServer, () -> ledger.removeServer(name));
        // the report is dated by its agent; an undated one counts as seen now
        reports.usage(n).ifPresent(u -> ledger.measured(u, u.measuredAt().orElseGet(clock::instant)));
    }
}
