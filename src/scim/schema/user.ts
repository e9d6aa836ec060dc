// The core User schema (RFC 7643 §4.1, §8.7.1), as data.
import { attr, complex, multi } from './define.ts';
import type { SchemaDefinition } from './types.ts';
import { URN } from './urns.ts';

export const userSchema: SchemaDefinition = Object.freeze({
  id: URN.user,
  name: 'User',
  description: 'User Account',
  attributes: Object.freeze([
    attr('userName', 'string', 'Unique identifier for the User, typically used by the user to directly authenticate.', {
      required: true,
      uniqueness: 'server',
    }),
    complex('name', "The components of the user's real name.", [
      attr('formatted', 'string', 'The full name, including all middle names, titles, and suffixes as appropriate.'),
      attr('familyName', 'string', 'The family name of the User.'),
      attr('givenName', 'string', 'The given name of the User.'),
      attr('middleName', 'string', 'The middle name(s) of the User.'),
      attr('honorificPrefix', 'string', 'The honorific prefix(es) of the User.'),
      attr('honorificSuffix', 'string', 'The honorific suffix(es) of the User.'),
    ]),
    attr('displayName', 'string', 'The name of the User, suitable for display to end-users.'),
    attr('nickName', 'string', 'The casual way to address the user in real life.'),
    attr('profileUrl', 'reference', "A fully qualified URL pointing to a page representing the User's online profile."),
    attr('title', 'string', "The user's title, such as 'Vice President'."),
    attr('userType', 'string', 'Used to identify the relationship between the organization and the user.'),
    attr('preferredLanguage', 'string', "Indicates the User's preferred written or spoken language."),
    attr('locale', 'string', "Used to indicate the User's default location for purposes of localizing items."),
    attr('timezone', 'string', "The User's time zone in the 'Olson' time zone database format."),
    attr('active', 'boolean', "A Boolean value indicating the User's administrative status."),
    attr('password', 'string', "The User's cleartext password; write-only, never returned.", {
      mutability: 'writeOnly',
      returned: 'never',
    }),
    multi('emails', 'Email addresses for the user.', ['work', 'home', 'other']),
    multi('phoneNumbers', 'Phone numbers for the User.', ['work', 'home', 'mobile', 'fax', 'pager', 'other']),
    multi('ims', 'Instant messaging addresses for the User.', [
      'aim',
      'gtalk',
      'icq',
      'xmpp',
      'msn',
      'skype',
      'qq',
      'yahoo',
    ]),
    multi('photos', 'URLs of photos of the User.', ['photo', 'thumbnail'], {
      valueType: 'reference',
      valueCaseExact: true,
    }),
    {
      ...complex(
        'addresses',
        'A physical mailing address for this User.',
        [
          attr('formatted', 'string', 'The full mailing address, formatted for display or use with a mailing label.'),
          attr('streetAddress', 'string', 'The full street address component.'),
          attr('locality', 'string', 'The city or locality component.'),
          attr('region', 'string', 'The state or region component.'),
          attr('postalCode', 'string', 'The zip code or postal code component.'),
          attr('country', 'string', 'The country name component.'),
          attr('type', 'string', "A label indicating the address's function.", {
            canonicalValues: ['work', 'home', 'other'],
          }),
          attr('primary', 'boolean', 'Indicates the primary or preferred address.'),
        ],
        { multiValued: true },
      ),
    },
    complex(
      'groups',
      'A list of groups to which the user belongs (direct memberships), computed by the service provider.',
      [
        attr('value', 'string', "The identifier of the User's group.", { mutability: 'readOnly', caseExact: true }),
        attr('$ref', 'reference', 'The URI of the corresponding Group resource.', {
          mutability: 'readOnly',
          caseExact: true,
          referenceTypes: ['Group'],
        }),
        attr('display', 'string', 'A human-readable name.', { mutability: 'readOnly' }),
        attr('type', 'string', 'How the membership was derived.', {
          mutability: 'readOnly',
          canonicalValues: ['direct', 'indirect'],
        }),
      ],
      { multiValued: true, mutability: 'readOnly' },
    ),
    multi('entitlements', 'A list of entitlements for the User.', []),
    multi('roles', 'A list of roles for the User.', []),
    multi('x509Certificates', 'A list of certificates issued to the User.', [], {
      valueType: 'binary',
      valueCaseExact: true,
    }),
  ]),
});
