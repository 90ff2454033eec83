//! TPU topologies for deviceless compilation (`PJRT_TopologyDescription_Create`).

use crate::api::string_from;
use crate::error::{Error, Result};
use crate::named_value::{self, OwnedNamedValues, Value};
use crate::plugin::Plugin;
use crate::sys::{self, args};
use std::collections::BTreeMap;

/// A description of a (possibly absent) set of chips, e.g. `v5e:2x2`. Compiling against it
/// needs no device.
pub struct Topology {
    plugin: Plugin,
    raw: *mut sys::PJRT_TopologyDescription,
    name: String,
}

// SAFETY: a topology description is immutable after creation; PJRT allows concurrent reads.
unsafe impl Send for Topology {}
unsafe impl Sync for Topology {}

/// One device of a topology.
#[derive(Debug, Clone, PartialEq)]
pub struct DeviceDescription {
    pub id: i32,
    pub process_index: i32,
    /// E.g. `TPU v5 lite`.
    pub kind: String,
    /// The chip's coordinates in the topology (`coords` attribute), when the plugin gives them.
    pub coords: Vec<i64>,
    /// Every attribute the plugin reports (`core_on_chip`, `coords`, …).
    pub attributes: BTreeMap<String, Value>,
}

impl Topology {
    /// `name` is libtpu's `<chip>:<shape>`: `v5e:1x1`, `v5e:2x2`, `v6e:1x1`, `v5p:2x2x1`, `v4:2x2x1`.
    pub fn tpu(plugin: &Plugin, name: &str) -> Result<Topology> {
        Self::with_options(plugin, name, &[])
    }

    /// Like [`Topology::tpu`] with create options such as `chip_config_name`,
    /// `chips_per_host_bounds`, `num_slices` or `wrap` (all optional, docs/design.md §6).
    pub fn with_options(
        plugin: &Plugin,
        name: &str,
        options: &[(String, Value)],
    ) -> Result<Topology> {
        let api = plugin.api();
        let options = OwnedNamedValues::new(options);
        let mut a = args!(PJRT_TopologyDescription_Create_Args {
            topology_name: name.as_ptr().cast(),
            topology_name_size: name.len(),
            create_options: options.as_ptr(),
            num_options: options.len(),
        });
        api.call(
            "PJRT_TopologyDescription_Create",
            api.raw().PJRT_TopologyDescription_Create,
            &mut a,
        )
        .map_err(|e| match e {
            Error::Pjrt {
                code: crate::ErrorCode::InvalidArgument,
                message,
                ..
            } => Error::UnknownTopology {
                name: name.to_string(),
                message,
            },
            other => other,
        })?;
        Ok(Topology {
            plugin: plugin.clone(),
            raw: a.topology,
            name: name.to_string(),
        })
    }

    pub fn name(&self) -> &str {
        &self.name
    }

    pub fn plugin(&self) -> &Plugin {
        &self.plugin
    }

    pub(crate) fn raw(&self) -> *mut sys::PJRT_TopologyDescription {
        self.raw
    }

    /// Platform name, e.g. `tpu`.
    pub fn platform_name(&self) -> Result<String> {
        let api = self.plugin.api();
        let mut a = args!(PJRT_TopologyDescription_PlatformName_Args { topology: self.raw });
        api.call(
            "PJRT_TopologyDescription_PlatformName",
            api.raw().PJRT_TopologyDescription_PlatformName,
            &mut a,
        )?;
        // SAFETY: the plugin returns a string owned by the topology.
        Ok(unsafe { string_from(a.platform_name, a.platform_name_size) })
    }

    /// Every device of the topology, in the plugin's order.
    pub fn devices(&self) -> Result<Vec<DeviceDescription>> {
        let api = self.plugin.api();
        let raw = api.raw();
        let mut a =
            args!(PJRT_TopologyDescription_GetDeviceDescriptions_Args { topology: self.raw });
        api.call(
            "PJRT_TopologyDescription_GetDeviceDescriptions",
            raw.PJRT_TopologyDescription_GetDeviceDescriptions,
            &mut a,
        )?;
        if a.descriptions.is_null() {
            return Ok(vec![]);
        }
        // SAFETY: the plugin returns `num_descriptions` descriptions owned by the topology.
        let descriptions =
            unsafe { std::slice::from_raw_parts(a.descriptions, a.num_descriptions) };
        descriptions
            .iter()
            .map(|&d| {
                let mut id = args!(PJRT_DeviceDescription_Id_Args {
                    device_description: d
                });
                api.call(
                    "PJRT_DeviceDescription_Id",
                    raw.PJRT_DeviceDescription_Id,
                    &mut id,
                )?;
                let mut process = args!(PJRT_DeviceDescription_ProcessIndex_Args {
                    device_description: d
                });
                api.call(
                    "PJRT_DeviceDescription_ProcessIndex",
                    raw.PJRT_DeviceDescription_ProcessIndex,
                    &mut process,
                )?;
                let mut kind = args!(PJRT_DeviceDescription_Kind_Args {
                    device_description: d
                });
                api.call(
                    "PJRT_DeviceDescription_Kind",
                    raw.PJRT_DeviceDescription_Kind,
                    &mut kind,
                )?;
                let mut attrs = args!(PJRT_DeviceDescription_Attributes_Args {
                    device_description: d
                });
                api.call(
                    "PJRT_DeviceDescription_Attributes",
                    raw.PJRT_DeviceDescription_Attributes,
                    &mut attrs,
                )?;
                // SAFETY: strings and attributes are owned by the description.
                let (kind, attributes) = unsafe {
                    (
                        string_from(kind.device_kind, kind.device_kind_size),
                        named_value::read_all(attrs.attributes, attrs.num_attributes),
                    )
                };
                let coords = match attributes.get("coords") {
                    Some(Value::IntList(c)) => c.clone(),
                    _ => vec![],
                };
                Ok(DeviceDescription {
                    id: id.id,
                    process_index: process.process_index,
                    kind,
                    coords,
                    attributes,
                })
            })
            .collect()
    }
}

impl Drop for Topology {
    fn drop(&mut self) {
        let api = self.plugin.api();
        let mut a = args!(PJRT_TopologyDescription_Destroy_Args { topology: self.raw });
        // A failed destroy leaks the description; there is nothing better to do in drop.
        let _ = api.call(
            "PJRT_TopologyDescription_Destroy",
            api.raw().PJRT_TopologyDescription_Destroy,
            &mut a,
        );
    }
}

impl std::fmt::Debug for Topology {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "Topology({})", self.name)
    }
}
