package dev.banger.core.net;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.banger.api.BangerException;
import org.junit.jupiter.api.Test;

class NftTablesTest {
    private static final String META = "{\"metainfo\": {\"version\": \"1.0.6\", \"json_schema_version\": 1}}";

    @Test
    void findsBangersTableOnlyInTheIpFamily() {
        assertThat(NftTables.hasBangerTable("{\"nftables\": [" + META + "]}")).isFalse();
        assertThat(NftTables.hasBangerTable("{\"nftables\": [" + META
                + ", {\"table\": {\"family\": \"ip\", \"name\": \"banger\", \"handle\": 1}}]}")).isTrue();
        assertThat(NftTables.hasBangerTable("{\"nftables\": [" + META
                + ", {\"table\": {\"family\": \"inet\", \"name\": \"banger\", \"handle\": 1}},"
                + " {\"table\": {\"family\": \"ip\", \"name\": \"nat\", \"handle\": 2}}]}")).isFalse();
        assertThat(NftTables.hasBangerTable("")).isFalse();
    }

    @Test
    void findsTheGuardTableOnlyInTheInetFamily() {
        assertThat(NftTables.hasGuardTable("{\"nftables\": [" + META
                + ", {\"table\": {\"family\": \"inet\", \"name\": \"banger_guard\", \"handle\": 4}}]}")).isTrue();
        assertThat(NftTables.hasGuardTable("{\"nftables\": [" + META
                + ", {\"table\": {\"family\": \"ip\", \"name\": \"banger_guard\", \"handle\": 4}},"
                + " {\"table\": {\"family\": \"ip\", \"name\": \"banger\", \"handle\": 5}}]}")).isFalse();
        assertThat(NftTables.hasGuardTable("")).isFalse();
    }

    @Test
    void garbageIsAnError() {
        assertThatThrownBy(() -> NftTables.hasBangerTable("table ip banger")).isInstanceOf(BangerException.class)
                .hasMessageContaining("nft -j list tables");
    }
}
