package dsp.kubernetes.agent;

import dsp.core.port.StorageMeter;
import dsp.core.port.TemplateLibrary;
import dsp.core.port.VolumeMaker;

/**
 * The node storage engine's ports as the agent uses them on its own node: making volumes, the
 * templates present, measuring the disk. The composition root builds them on first use (so a node
 * without pool data gets no directories).
 */
public record NodeStorage(VolumeMaker maker, TemplateLibrary templates, StorageMeter meter) {
}
