package dsp.kubernetes.agent;

import dsp.core.model.Allocation;
import dsp.core.port.StorageMeter;
import dsp.core.port.TemplateLibrary;
import dsp.core.port.VolumeCopier;
import dsp.core.port.VolumeMaker;
import dsp.core.vm.Template;
import java.io.InputStream;
import java.util.Optional;

/**
 * The node storage engine's ports as the agent uses them on its own node: making volumes, the
 * templates present, measuring the disk, and for a drain's moves between nodes holding, sending
 * and receiving images. The composition root builds them on first use (so a node without pool
 * data gets no directories).
 */
public record NodeStorage(VolumeMaker maker, TemplateLibrary templates, StorageMeter meter, VolumeCopier copier, ImageReader reader,
                          ImageReceiver receiver) {

    /** The bytes of a volume's image on this node, as they are now (hold it first). */
    @FunctionalInterface
    public interface ImageReader {
        InputStream read(Allocation volume);
    }

    /**
     * Builds a copy on this node from the bytes a peer sent, under a temporary name: checked against
     * the sender's sha256, a qcow2 overlay pointed at this node's own template, checked as an import;
     * nothing left on failure. The copier then puts it in place or discards it.
     */
    @FunctionalInterface
    public interface ImageReceiver {
        void receive(Allocation copy, Optional<Template> template, InputStream bytes, String sha256);
    }

    /** An engine that moves no volumes between nodes: a move to or from this node fails, saying so. */
    public NodeStorage(VolumeMaker maker, TemplateLibrary templates, StorageMeter meter) {
        this(maker, templates, meter, null, null, null);
    }

    @Override
    public VolumeCopier copier() {
        return present(copier);
    }

    @Override
    public ImageReader reader() {
        return present(reader);
    }

    @Override
    public ImageReceiver receiver() {
        return present(receiver);
    }

    private static <T> T present(T part) {
        if (part == null) {
            throw dsp.core.DomainException.storageFailed("this node's agent moves no volumes between nodes");
        }
        return part;
    }
}
