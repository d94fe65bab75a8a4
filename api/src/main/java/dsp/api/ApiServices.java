package dsp.api;

import dsp.core.usecase.CleanupService;
import dsp.core.usecase.PoolQueries;
import dsp.core.usecase.ServerAdministration;
import dsp.core.usecase.TemplateService;
import dsp.core.usecase.VmService;
import dsp.core.usecase.VolumeService;
import java.util.function.BooleanSupplier;

/** What the HTTP layer calls: the core's use cases, and a readiness probe of the adapters. */
public record ApiServices(PoolQueries queries, ServerAdministration servers, VmService vms, VolumeService volumes,
                          TemplateService templates, CleanupService cleanup, BooleanSupplier ready) {
}
