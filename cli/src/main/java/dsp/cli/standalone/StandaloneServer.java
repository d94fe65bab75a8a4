package dsp.cli.standalone;

import dsp.api.ApiServices;
import dsp.api.CapacitySampler;
import dsp.core.history.CapacityHistory;
import dsp.api.PoolApi;
import dsp.config.PoolConfig;
import dsp.core.usecase.OperationOrder;
import dsp.core.usecase.ServerDrain;
import dsp.core.usecase.StartupReconciler;
import dsp.core.usecase.TemplateService;
import dsp.core.usecase.VmService;
import dsp.core.usecase.VolumeService;
import dsp.core.vm.ServerType;
import dsp.node.FileTemplateLibrary;
import dsp.node.LocalVolumeCopier;
import dsp.node.LocalVolumeMaker;
import dsp.node.PoolCleaner;
import dsp.core.usecase.CleanupService;
import dsp.node.QemuImg;
import dsp.store.sqlite.SqliteVmStore;
import dsp.core.model.PoolCatalog;
import dsp.core.model.PoolDefinition;
import dsp.core.model.Server;
import dsp.core.port.ServerInventory;
import dsp.core.usecase.CapacityAdmission;
import dsp.core.usecase.FleetLock;
import dsp.core.usecase.PoolQueries;
import dsp.core.usecase.ServerAdministration;
import dsp.node.DirectoryBackedInventory;
import dsp.node.DirectoryStorageMeter;
import dsp.node.ServerRoots;
import dsp.store.sqlite.SqliteAllocationStore;
import dsp.store.sqlite.SqliteDatabase;
import dsp.store.sqlite.SqliteServerInventory;
import dsp.core.ledger.CapacityLedger;
import dsp.core.ledger.WriteThroughAllocations;
import dsp.core.ledger.WriteThroughServers;
import dsp.core.port.AllocationStore;
import dsp.core.usecase.DiskSurvey;
import java.nio.file.Path;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.time.Clock;
import java.time.Duration;
import java.util.List;
import java.util.Optional;
import java.util.UUID;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Standalone mode wired: SQLite state under the data dir, each server a directory under
 * {@code <data-dir>/servers}, the HTTP API on top. One process, one machine.
 */
public final class StandaloneServer implements AutoCloseable {

    private static final Logger LOG = LoggerFactory.getLogger(StandaloneServer.class);

    /** The guide's Example 1 start: 2 k8s servers and 2 vm servers. */
    static final List<String[]> DEMO = List.of(
            new String[] {"k8s-server-1", "k8s"}, new String[] {"k8s-server-2", "k8s"},
            new String[] {"vm-server-1", "vm"}, new String[] {"vm-server-2", "vm"});

    /** The demo's template: a blank image standing in for a cloud image, built with qemu-img at first start. */
    static final String DEMO_TEMPLATE = "ubuntu22";
    static final long DEMO_TEMPLATE_BYTES = 10_000_000_000L;
    /** Servers measured by one {@code du}. */
    private static final int SURVEY_BATCH = 200;

    /** How often capacity is sampled for the history and threshold crossings are looked for. */
    static final Duration SAMPLE_EVERY = Duration.ofSeconds(10);

    private final SqliteDatabase db;
    private final PoolApi api;
    private final FileTemplateLibrary templates;
    private final StartupReconciler reconciler;
    private final ServerInventory inventory;
    private final ServerAdministration servers;
    private final CapacityAdmission admission;
    private final PoolCatalog catalog;
    private final CapacityHistory history = ApiServices.defaultHistory();
    private final CapacitySampler sampler;
    private final StandaloneBackup backups;
    private Optional<String> configYaml = Optional.empty();
    private final DiskSurvey survey;
    private Duration surveyInterval = Duration.ofSeconds(30);
    private ScheduledExecutorService surveying;

    public StandaloneServer(PoolCatalog catalog, Path dataDir, Clock clock) {
        this(new PoolConfig.Configuration(catalog, "vm", ServerType.HETZNER), dataDir, clock);
    }

    public StandaloneServer(PoolConfig.Configuration config, Path dataDir, Clock clock) {
        this(config, dataDir, clock, false);
    }

    /**
     * @param demo the servers are the demo's directories on this machine's one disk: the disk
     *             prerequisite is then reported as a note, not a warning
     */
    public StandaloneServer(PoolConfig.Configuration config, Path dataDir, Clock clock, boolean demo) {
        PoolCatalog catalog = config.catalog();
        this.catalog = catalog;
        this.db = SqliteDatabase.open(dataDir.resolve("pools.db"));
        ServerRoots roots = new ServerRoots(dataDir.resolve("servers"));
        SqliteServerInventory serverRecords = new SqliteServerInventory(db);
        SqliteAllocationStore allocationRecords = new SqliteAllocationStore(db);
        // the ledger lives in memory: SQLite is read once here, then every write goes through to it
        CapacityLedger ledger = new CapacityLedger(catalog, serverRecords.listServers(), allocationRecords.listAllocations());
        this.inventory = new WriteThroughServers(ledger, new DirectoryBackedInventory(serverRecords, roots, catalog));
        AllocationStore allocations = new WriteThroughAllocations(ledger, allocationRecords);
        this.survey = new DiskSurvey(ledger, new DirectoryStorageMeter(roots, catalog, clock), clock, SURVEY_BATCH);
        FleetLock lock = new FleetLock();
        PoolQueries queries = new PoolQueries(ledger, clock, demo);
        this.sampler = new CapacitySampler(queries, history);
        this.servers = new ServerAdministration(ledger, inventory, lock, clock);
        this.admission = new CapacityAdmission(ledger, allocations, lock, clock, () -> UUID.randomUUID().toString());
        QemuImg qemu = QemuImg.onPath();
        // images are imported only from <data-dir>/imports: nothing else on the machine is readable through the API
        this.templates = new FileTemplateLibrary(dataDir.resolve("templates"), qemu, roots, catalog, Optional.of(dataDir.resolve("imports")));
        try {
            java.nio.file.Files.createDirectories(dataDir.resolve("imports"));
        } catch (java.io.IOException e) {
            throw new java.io.UncheckedIOException("cannot create " + dataDir.resolve("imports"), e);
        }
        LocalVolumeMaker maker = new LocalVolumeMaker(roots, catalog, templates, qemu);
        SqliteVmStore vmStore = new SqliteVmStore(db);
        // one set of turns: a drain moving a disk, and the VM or volume calls on it, run one after the other
        OperationOrder order = new OperationOrder();
        VmService vms = new VmService(catalog, config.vmPool(), config.serverTypes(), admission, allocations, vmStore, maker,
                templates, clock, () -> UUID.randomUUID().toString().replace("-", "").substring(0, 12), order);
        this.reconciler = new StartupReconciler(allocations, vmStore, maker, admission);
        this.api = new PoolApi(new ApiServices(queries, servers, vms, new VolumeService(catalog, admission, allocations, maker, order),
                new TemplateService(templates, allocations, lock),
                new CleanupService(inventory, allocations, new PoolCleaner(roots, catalog, clock), clock), this::databaseAnswers,
                history));
        this.api.serveDrains(new ServerDrain(catalog, inventory, allocations, vmStore, admission, maker,
                Optional.of(new LocalVolumeCopier(maker, qemu)), templates, order, () -> UUID.randomUUID().toString()));
        this.api.auditTo(new AuditLog(dataDir.resolve("audit.log")));
        this.backups = new StandaloneBackup(dataDir, db, dataDir.resolve("templates"), inventory, allocations, vmStore, maker, qemu,
                templates, () -> configYaml, catalog, lock, clock);
        this.api.serveBackups(backups);
    }

    /** The configuration file the server runs with: a backup carries it. */
    public void configuredFrom(Path configFile) {
        try {
            this.configYaml = Optional.of(java.nio.file.Files.readString(configFile));
        } catch (java.io.IOException e) {
            throw new java.io.UncheckedIOException("cannot read " + configFile, e);
        }
    }

    public StandaloneBackup backups() {
        return backups;
    }

    /**
     * Restores a backup into {@code dataDir} (empty unless {@code force}): the state, the
     * configuration, the templates and the disks it holds; volumes it holds no data for are made
     * again (empty directories, fresh VM disks from their template).
     */
    public static StandaloneBackup.Restored restore(Path backup, Path dataDir, boolean force, Clock clock,
                                                    dsp.core.operation.Operations.Progress progress) {
        StandaloneBackup.Restored r = StandaloneBackup.unpack(backup, dataDir, force, clock, progress);
        PoolConfig.Configuration config = r.config().map(PoolConfig::load).orElse(PoolConfig.Configuration.guideDefaults());
        try (StandaloneServer server = new StandaloneServer(config, dataDir, clock)) {
            int recreated = server.backups.placeDisksAndRecreate(backup, progress);
            return new StandaloneBackup.Restored(r.servers(), r.volumes(), r.vms(), r.templates(), r.disks(), recreated, r.config(),
                    r.previous());
        }
    }

    /** On an empty inventory, creates the demo servers; a restart keeps whatever is there. */
    public boolean seedDemoIfEmpty() {
        if (!inventory.listServers().isEmpty()) {
            return false;
        }
        for (String[] s : DEMO) {
            Optional<PoolDefinition> pool = catalog.find(s[1]);
            if (pool.isPresent()) {
                servers.assign(s[0], Optional.of(s[1]), Optional.empty());
            }
        }
        LOG.info("demo inventory created: {}", inventory.listServers().stream().map(Server::name).toList());
        return true;
    }

    /**
     * Whether a template is the one a fresh demo start makes (a blank image under the demo's name):
     * a restore through the API may replace it, as a server holding it is still empty.
     */
    static boolean madeByAFreshStart(dsp.core.vm.Template t) {
        return t.name().equals(DEMO_TEMPLATE) && t.virtualBytes() == DEMO_TEMPLATE_BYTES && t.fileBytes() < BLANK_IMAGE_BYTES;
    }

    /** More than a blank qcow2's metadata: an image this big holds data. */
    private static final long BLANK_IMAGE_BYTES = 4L << 20;

    /** The demo's template, built with qemu-img if missing; no downloads. */
    public void ensureDemoTemplate() {
        if (templates.findTemplate(DEMO_TEMPLATE).isPresent()) {
            return;
        }
        try {
            templates.createBlank(DEMO_TEMPLATE, DEMO_TEMPLATE_BYTES);
            LOG.info("demo template {} created (blank qcow2, 10 GB virtual); put a real image in <data-dir>/imports and run poolctl templates import",
                    DEMO_TEMPLATE);
        } catch (RuntimeException e) {
            LOG.warn("demo template {} not created: {}", DEMO_TEMPLATE, e.getMessage());
        }
    }

    /** Converges records and disks after an unclean stop; runs before the API serves. */
    public StartupReconciler.Report reconcile() {
        StartupReconciler.Report r = reconciler.reconcile();
        if (r.changedAnything()) {
            LOG.info("start-up reconcile: removed {} half-made item(s), rolled back {}, completed {}, regrown {}, finished deleting {},"
                    + " records grown to their images {}", r.temporariesRemoved(), r.rolledBack(), r.completed(), r.regrown(), r.deleted(),
                    r.recordsResized());
        }
        for (String problem : r.problems()) {
            LOG.warn("start-up reconcile could not converge {}", problem);
        }
        return r;
    }

    /** Changes need this bearer token (reads stay open). */
    public void requireToken(Optional<String> token) {
        api.requireToken(token);
    }

    /** Host names clients may use besides the bind address. */
    public void allowHosts(java.util.Set<String> names) {
        api.allowHosts(names);
    }

    /** How long the disk survey rests between passes (a pass measures every server once). */
    public StandaloneServer surveyEvery(Duration interval) {
        if (interval.isNegative() || interval.isZero()) {
            throw new IllegalArgumentException("the survey interval must be positive");
        }
        this.surveyInterval = interval;
        return this;
    }

    public int start(String host, int port) {
        reconcile();
        api.start(host, port);
        // after the API serves: the first pass runs du over every server, which would compete with start-up for the cores
        startSurvey();
        sampler.start(SAMPLE_EVERY);
        LOG.info("standalone server listening on http://{}:{} (data in {})", host, api.port(), db.file().getParent());
        return api.port();
    }

    public CapacityAdmission admission() {
        return admission;
    }

    private boolean databaseAnswers() {
        try {
            return db.transaction(c -> c.createStatement().execute("SELECT 1"));
        } catch (RuntimeException e) {
            return false;
        }
    }

    /** One measuring pass over every server now, on the caller's thread (the background survey does the same). */
    public DiskSurvey.Pass measureNow() {
        return survey.pass();
    }

    /** Disks are measured in the background, one pass at a time, never on a request. */
    private synchronized void startSurvey() {
        if (surveying != null) {
            return;
        }
        surveying = Executors.newSingleThreadScheduledExecutor(r -> {
            Thread t = new Thread(r, "disk-survey");
            t.setDaemon(true);
            t.setPriority(Thread.MIN_PRIORITY);
            return t;
        });
        surveying.scheduleWithFixedDelay(() -> {
            try {
                long started = System.nanoTime();
                DiskSurvey.Pass pass = survey.pass();
                LOG.debug("disk survey: {} of {} server(s) measured in {} ms{}", pass.measured(), pass.servers(),
                        (System.nanoTime() - started) / 1_000_000, pass.failedBatches() > 0 ? ", " + pass.failedBatches() + " batch(es) failed" : "");
            } catch (RuntimeException e) {
                LOG.warn("disk survey failed: {}", e.getMessage());
            }
        }, 0, surveyInterval.toMillis(), TimeUnit.MILLISECONDS);
    }

    @Override
    public void close() {
        sampler.close();
        synchronized (this) {
            if (surveying != null) {
                surveying.shutdownNow();
            }
        }
        api.stop();
        db.close();
    }
}
