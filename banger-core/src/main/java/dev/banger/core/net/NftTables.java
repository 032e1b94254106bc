package dev.banger.core.net;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.banger.api.BangerException;
import dev.banger.api.ErrorCode;

/** Reads {@code nft -j list tables} ({@link NetCommands#listNftTables()}). */
public final class NftTables {
    private static final ObjectMapper JSON = new ObjectMapper();

    private NftTables() {
    }

    /** Whether the output lists banger's NAT table ({@code ip banger}). */
    public static boolean hasBangerTable(String json) {
        return hasTable(json, "ip", NetCommands.NFT_TABLE);
    }

    /** Whether the output lists the guard table ({@code inet banger_guard}, see {@link GuestGuard}). */
    public static boolean hasGuardTable(String json) {
        return hasTable(json, GuestGuard.FAMILY, GuestGuard.TABLE);
    }

    private static boolean hasTable(String json, String family, String name) {
        JsonNode root;
        try {
            root = JSON.readTree(json == null ? "" : json);
        } catch (JsonProcessingException e) {
            throw new BangerException(ErrorCode.HOST_FAILURE, "the output of 'nft -j list tables' is not JSON ("
                    + e.getOriginalMessage() + "): banger needs nftables 0.9 or later");
        }
        for (JsonNode entry : root.path("nftables")) {
            JsonNode table = entry.path("table");
            if (family.equals(table.path("family").asText()) && name.equals(table.path("name").asText())) {
                return true;
            }
        }
        return false;
    }
}
