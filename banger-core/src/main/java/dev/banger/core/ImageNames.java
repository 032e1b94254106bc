package dev.banger.core;

import dev.banger.api.BangerException;

/** Image names: 1-63 characters of [a-z0-9._-], starting with a letter or digit (they name directories). */
public final class ImageNames {
    private ImageNames() {
    }

    public static String validate(String name) {
        if (name == null || name.isEmpty() || name.length() > 63) {
            throw BangerException.invalid("image name must be 1-63 characters long");
        }
        for (int i = 0; i < name.length(); i++) {
            char c = name.charAt(i);
            boolean alnum = (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9');
            if (!(alnum || (i > 0 && (c == '-' || c == '.' || c == '_')))) {
                throw BangerException.invalid("image name '" + VmNames.abbreviate(name)
                        + "' is not valid: use a-z, 0-9, '.', '_' and '-', starting with a letter or digit");
            }
        }
        return name;
    }
}
