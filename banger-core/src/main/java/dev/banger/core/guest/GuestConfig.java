package dev.banger.core.guest;

import dev.banger.api.BangerException;
import dev.banger.core.Ipv4Subnet;
import dev.banger.core.VmNames;
import java.util.List;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.regex.Pattern;

/**
 * What a VM learns about itself at boot, and the files of its config drive (a vfat filesystem labelled
 * CIDATA in cloud-init's NoCloud layout). banger's own init reads {@code banger.env}; stock cloud
 * images with cloud-init read meta-data, user-data and network-config. The guest side of this contract
 * is documented in images/README.md; this class is the host side, in one place.
 *
 * @param address the guest's address with prefix, e.g. 172.29.0.2/24
 * @param authorizedKey banger's SSH public key (one line)
 * @param hostKeyPrivate the VM's own SSH host key (OpenSSH private key text), generated on the host
 * @param hostKeyPublic its public half (one line)
 */
public record GuestConfig(String vmId, String hostname, String mac, String address, String gateway, String dns,
                          boolean agent, String agentToken, String authorizedKey, String hostKeyPrivate, String hostKeyPublic,
                          List<Mount> mounts) {
    /**
     * A host directory for the guest to mount: {@code BANGER_MOUNT_N='TAG:DIR:ro|rw'} in banger.env. The guest's
     * apply-config checks the value again (it is a shell script); here it is already of MountRules' character set.
     */
    public record Mount(String tag, String guestDir, boolean readOnly) {
        private static final Pattern TAG = Pattern.compile("banger[0-9]{1,2}");
        private static final Pattern DIR = Pattern.compile("(/[A-Za-z0-9._@+-]+)+");

        public Mount {
            if (!TAG.matcher(tag).matches() || !DIR.matcher(guestDir).matches() || guestDir.contains("/../") || guestDir.endsWith("/..")
                    || guestDir.contains("/./") || guestDir.endsWith("/.")) {
                throw BangerException.invalid("mount " + tag + " on " + guestDir + " is not one banger would write");
            }
        }

        String envValue() {
            return tag + ":" + guestDir + (readOnly ? ":ro" : ":rw");
        }
    }

    /** Without host directories. */
    public GuestConfig(String vmId, String hostname, String mac, String address, String gateway, String dns, boolean agent,
                       String agentToken, String authorizedKey, String hostKeyPrivate, String hostKeyPublic) {
        this(vmId, hostname, mac, address, gateway, dns, agent, agentToken, authorizedKey, hostKeyPrivate, hostKeyPublic, List.of());
    }

    private static final Pattern MAC = Pattern.compile("[0-9a-f]{2}(:[0-9a-f]{2}){5}");
    private static final Pattern PUBLIC_KEY = Pattern.compile("ssh-ed25519 [A-Za-z0-9+/=]+( [A-Za-z0-9@._-]+)?");
    private static final Pattern TOKEN = Pattern.compile("[A-Za-z0-9_-]{16,128}");

    public GuestConfig {
        mounts = mounts == null ? List.of() : List.copyOf(mounts);
        VmNames.validate(hostname);
        if (!MAC.matcher(mac).matches()) {
            throw BangerException.invalid("MAC '" + mac + "' is not of the form 02:xx:xx:xx:xx:xx");
        }
        int slash = address.indexOf('/');
        if (slash < 0) {
            throw BangerException.invalid("guest address '" + address + "' needs a prefix length (172.29.0.2/24)");
        }
        Ipv4Subnet.parseAddress(address.substring(0, slash));
        Ipv4Subnet.parseAddress(gateway);
        Ipv4Subnet.parseAddress(dns);
        if (agentToken != null && !TOKEN.matcher(agentToken).matches()) {
            throw BangerException.invalid("agent token must be 16-128 characters of [A-Za-z0-9_-]");
        }
        if (!PUBLIC_KEY.matcher(authorizedKey.strip()).matches() || !PUBLIC_KEY.matcher(hostKeyPublic.strip()).matches()) {
            throw BangerException.invalid("SSH keys must be single-line ed25519 public keys");
        }
        if (!hostKeyPrivate.startsWith("-----BEGIN OPENSSH PRIVATE KEY-----")) {
            throw BangerException.invalid("the host key is not an OpenSSH private key");
        }
    }

    /** The files of the config drive, by name, in a stable order. */
    public Map<String, String> files() {
        Map<String, String> f = new LinkedHashMap<>();
        f.put("meta-data", metaData());
        f.put("user-data", userData());
        f.put("network-config", networkConfig());
        f.put("banger.env", bangerEnv());
        f.put("authorized_keys", authorizedKey.strip() + "\n");
        f.put("ssh_host_ed25519_key", hostKeyPrivate.endsWith("\n") ? hostKeyPrivate : hostKeyPrivate + "\n");
        f.put("ssh_host_ed25519_key.pub", hostKeyPublic.strip() + "\n");
        return f;
    }

    String metaData() {
        return "instance-id: banger-" + vmId + "\nlocal-hostname: " + hostname + "\n";
    }

    /** cloud-config for stock images: root may log in with banger's key, and the VM keeps the host key banger pinned. */
    String userData() {
        StringBuilder sb = new StringBuilder("#cloud-config\n");
        sb.append("hostname: ").append(hostname).append('\n');
        sb.append("disable_root: false\n");
        sb.append("ssh_pwauth: false\n");
        sb.append("ssh_authorized_keys:\n  - \"").append(authorizedKey.strip()).append("\"\n");
        sb.append("ssh_deletekeys: true\n");
        sb.append("ssh_genkeytypes: []\n");
        sb.append("ssh_keys:\n  ed25519_private: |\n");
        for (String line : hostKeyPrivate.strip().split("\n")) {
            sb.append("    ").append(line).append('\n');
        }
        sb.append("  ed25519_public: \"").append(hostKeyPublic.strip()).append("\"\n");
        return sb.toString();
    }

    /** Network config v2: static address, default route, resolver; the NIC is matched by MAC. */
    String networkConfig() {
        return "version: 2\nethernets:\n  banger0:\n    match:\n      macaddress: \"" + mac + "\"\n    set-name: eth0\n"
                + "    addresses: [\"" + address + "\"]\n    routes:\n      - to: default\n        via: " + gateway + "\n"
                + "    nameservers:\n      addresses: [" + dns + "]\n      search: [vm]\n";
    }

    /** KEY=VALUE lines for banger's init; every value is validated above and quoted here. */
    String bangerEnv() {
        Map<String, String> env = new LinkedHashMap<>();
        env.put("BANGER_HOSTNAME", hostname);
        env.put("BANGER_MAC", mac);
        env.put("BANGER_ADDRESS", address);
        env.put("BANGER_GATEWAY", gateway);
        env.put("BANGER_DNS", dns);
        env.put("BANGER_AGENT", agent ? "1" : "0");
        env.put("BANGER_AGENT_TOKEN", agentToken == null ? "" : agentToken);
        for (int i = 0; i < mounts.size(); i++) {
            env.put("BANGER_MOUNT_" + i, mounts.get(i).envValue());
        }
        StringBuilder sb = new StringBuilder("# written by banger; read by /usr/lib/banger/apply-config\n");
        env.forEach((k, v) -> sb.append(k).append("='").append(v).append("'\n"));
        return sb.toString();
    }

    /** The line banger pins in its known_hosts for this VM: its DNS name and address, its host key. */
    public String knownHostsLine(String dnsName) {
        String[] parts = hostKeyPublic.strip().split(" ");
        return dnsName + "," + address.substring(0, address.indexOf('/')) + " " + parts[0] + " " + parts[1] + "\n";
    }
}
