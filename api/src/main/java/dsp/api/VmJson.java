package dsp.api;

import dsp.json.Json;

import dsp.core.model.Allocation;
import dsp.core.vm.ServerType;
import dsp.core.vm.Template;
import dsp.core.vm.VmView;
import java.util.LinkedHashMap;
import java.util.Map;

/** JSON for VMs, volumes and templates. */
public final class VmJson {

    private VmJson() {
    }

    public static Map<String, Object> vm(VmView v) {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("id", v.vm().id());
        m.put("name", v.vm().name());
        m.put("namespace", v.vm().namespace());
        m.put("node", v.disk().server());
        m.put("image", v.vm().image());
        m.put("server_type", v.vm().serverType().orElse(null));
        m.put("cpu", v.vm().cpu());
        m.put("memory", v.vm().memoryGb());
        m.put("storage", Json.gb(v.disk().sizeBytes()));
        m.put("disk_id", v.disk().id());
        m.put("disk_path", v.diskPath());
        m.put("disk_format", v.disk().format().display());
        m.put("pool", v.disk().pool());
        m.put("status", v.vm().status().display());
        m.put("created_at", v.vm().createdAt().toString());
        return m;
    }

    public static Map<String, Object> volume(Allocation a, String path) {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("id", a.id());
        m.put("name", a.name());
        m.put("pool", a.pool());
        m.put("node", a.server());
        m.put("size_gb", Json.gb(a.sizeBytes()));
        m.put("format", a.format().display());
        m.put("phase", a.phase().display());
        m.put("kind", a.kind());
        m.put("path", path);
        m.put("template", a.template().orElse(null));
        m.put("owner", a.owner().orElse(null));
        m.put("created_at", a.createdAt().toString());
        return m;
    }

    public static Map<String, Object> template(Template t, long children) {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("name", t.name());
        m.put("format", t.format().display());
        m.put("virtual_size_gb", Json.gb(t.virtualBytes()));
        m.put("file_size_gb", Json.gb(t.fileBytes()));
        m.put("children", children);
        return m;
    }

    public static Map<String, Object> serverType(ServerType t) {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("name", t.name());
        m.put("cpu", t.cpu());
        m.put("memory", t.memoryGb());
        m.put("storage", t.diskGb());
        return m;
    }
}
