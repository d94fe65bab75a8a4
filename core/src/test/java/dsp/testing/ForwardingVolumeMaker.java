package dsp.testing;

import dsp.core.model.Allocation;
import dsp.core.operation.Operations;
import dsp.core.port.VolumeMaker;
import dsp.core.vm.Template;
import java.util.Optional;

/**
 * A volume maker that hands every call to another: tests extend it and override only the calls
 * they count or break (a real maker whose deletes fail, one counting its measurements).
 */
public abstract class ForwardingVolumeMaker implements VolumeMaker {

    protected final VolumeMaker delegate;

    protected ForwardingVolumeMaker(VolumeMaker delegate) {
        this.delegate = delegate;
    }

    @Override
    public String make(Allocation allocation, Optional<Template> template) {
        return delegate.make(allocation, template);
    }

    @Override
    public String make(Allocation allocation, Optional<Template> template, Operations.Progress progress) {
        return delegate.make(allocation, template, progress);
    }

    @Override
    public void grow(Allocation allocation, long newSizeBytes) {
        delegate.grow(allocation, newSizeBytes);
    }

    @Override
    public void delete(Allocation allocation) {
        delegate.delete(allocation);
    }

    @Override
    public boolean placeTaken(Allocation pending) {
        return delegate.placeTaken(pending);
    }

    @Override
    public boolean exists(Allocation allocation) {
        return delegate.exists(allocation);
    }

    @Override
    public long presentedBytes(Allocation allocation) {
        return delegate.presentedBytes(allocation);
    }

    @Override
    public long measuredBytes(Allocation allocation) {
        return delegate.measuredBytes(allocation);
    }

    @Override
    public String pathOf(Allocation allocation) {
        return delegate.pathOf(allocation);
    }

    @Override
    public int sweepTemporaries() {
        return delegate.sweepTemporaries();
    }
}
