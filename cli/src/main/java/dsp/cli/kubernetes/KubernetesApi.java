package dsp.cli.kubernetes;

import dsp.api.ApiServices;
import dsp.api.CapacitySampler;
import dsp.api.PoolApi;
import dsp.api.PoolMetrics;
import dsp.config.PoolConfig;
import dsp.core.history.CapacityHistory;
import dsp.core.model.PoolDefinition;
import dsp.core.model.Server;
import dsp.core.usecase.CleanupService;
import dsp.core.usecase.OperationOrder;
import dsp.core.usecase.ServerAdministration;
import dsp.core.usecase.MoveSettlement;
import dsp.core.usecase.ServerDrain;
import dsp.kubernetes.adapter.PoolVolumeCopies;
import dsp.kubernetes.controller.MoveRecovery;
import dsp.core.usecase.TemplateService;
import dsp.core.usecase.VmService;
import dsp.core.usecase.VolumeService;
import dsp.kubernetes.adapter.NodeCleanupRequests;
import dsp.kubernetes.adapter.PoolVolumeRequests;
import dsp.kubernetes.adapter.ReportedTemplates;
import dsp.kubernetes.adapter.SubjectAccessReviewAuthorizer;
import dsp.kubernetes.adapter.TokenReviewAuthenticator;
import dsp.kubernetes.adapter.VmResourceStore;
import dsp.kubernetes.controller.ApiFrontend;
import dsp.kubernetes.controller.ControllerParts;
import dsp.kubernetes.controller.ControllerRuntime;
import java.time.Duration;
import java.util.Optional;
import java.util.UUID;
import java.util.stream.Collectors;

/**
 * The HTTP API of Kubernetes mode: the guide's use cases over the controller's Kubernetes adapters,
 * changes accepted only on the admission Lease holder, each one audited to the log.
 */
final class KubernetesApi implements ApiFrontend {

    private final PoolConfig.Configuration config;
    private final PoolMetrics metrics;
    private final boolean kubernetesAuth;

    /**
     * @param metrics        shared with the provisioner, which times claims
     * @param kubernetesAuth changes need a bearer token the API server vouches for (TokenReview), of a
     *                       caller whose own RBAC allows the change (SubjectAccessReview)
     */
    KubernetesApi(PoolConfig.Configuration config, PoolMetrics metrics, boolean kubernetesAuth) {
        this.config = config;
        this.metrics = metrics;
        this.kubernetesAuth = kubernetesAuth;
    }

    @Override
    public Served serve(ControllerParts parts, Access access, String host, int port) {
        var catalog = parts.catalog();
        var clock = parts.clock();
        PoolVolumeRequests requests = new PoolVolumeRequests(parts.store(), catalog);
        VmResourceStore vms = new VmResourceStore(parts.client(), parts.store(), requests);
        ReportedTemplates templates = new ReportedTemplates(parts.meter(), parts.client(), () -> parts.inventory().listServers().stream()
                .filter(s -> s.pool().equals(catalog.find(config.vmPool()).map(PoolDefinition::label)))
                .map(Server::name).collect(Collectors.toSet()), clock);
        // one turn per VM and per volume across the VM, volume and drain use cases and the settling of moves:
        // a delete or resize never interleaves with a move of the same disk
        OperationOrder order = new OperationOrder();
        VmService vmService = new VmService(catalog, config.vmPool(), config.serverTypes(), parts.admission(), parts.store(), vms,
                requests, templates, clock, () -> UUID.randomUUID().toString().replace("-", "").substring(0, 12), order);
        CapacityHistory history = ApiServices.defaultHistory();
        PoolApi api = new PoolApi(new ApiServices(parts.queries(), new ServerAdministration(parts.ledger(), parts.inventory(), parts.lock(), clock),
                vmService, new VolumeService(catalog, parts.admission(), parts.store(), requests, order),
                new TemplateService(templates, parts.store(), parts.lock()),
                new CleanupService(parts.inventory(), parts.store(), new NodeCleanupRequests(parts.client(), parts.nodes(), clock), clock),
                access.ready(), history), metrics);
        api.livenessFrom(access.unhealthy());
        // a move's copy is a PoolVolume the target node's agent fetches from the source node's agent
        PoolVolumeCopies copies = new PoolVolumeCopies(parts.store(), vms, Duration.ofMinutes(2), Duration.ofHours(6));
        api.serveDrains(new ServerDrain(catalog, parts.inventory(), parts.store(), vms, parts.admission(), requests,
                Optional.of(copies), templates, order, () -> UUID.randomUUID().toString()));
        // a move is settled by where its VM is pinned too: a copy a started VM runs on is never deleted
        MoveRecovery recovery = new MoveRecovery(new MoveSettlement(parts.store(), parts.admission(), requests, order, Optional.of(copies)),
                access.writable(),
                // the VM follows its disk: its status shows the node, a halted KubeVirt VM is pinned there
                volume -> parts.store().findAllocation(volume).flatMap(dsp.core.model.Allocation::owner).flatMap(vms::findVm)
                        .ifPresent(vm -> order.run(vm.id(), () -> vms.updateVm(vm))));
        api.guardWrites(access.writable(), "this replica does not hold the " + ControllerRuntime.ADMISSION_LEASE
                + " lease and cannot change anything; retry (the vm-pool-api Service routes to the replica that does)");
        if (kubernetesAuth) {
            api.requireAuthentication(Optional.of(new TokenReviewAuthenticator(parts.client(), clock)));
            api.authorizeWith(new SubjectAccessReviewAuthorizer(parts.client()));
        }
        api.auditTo(new LoggedAuditTrail());
        CapacitySampler sampler = new CapacitySampler(parts.queries(), history).start(Duration.ofSeconds(10));
        try {
            api.start(host, port);
        } catch (RuntimeException e) {
            sampler.close();
            recovery.close();
            throw e;
        }
        return new Served() {
            @Override
            public int port() {
                return api.port();
            }

            @Override
            public void close() {
                api.stop();
                sampler.close();
                recovery.close();
            }
        };
    }
}
