//! A table handed to Python through the Arrow C stream interface.
//!
//! [`Table`] holds a polars `DataFrame` and implements
//! `__arrow_c_stream__` (the Arrow PyCapsule protocol), so `polars`,
//! `pyarrow` and DuckDB take its columns without a copy and without a
//! Python object per value; `policylens/__init__.py` wraps it in a
//! `polars.DataFrame`. The stream is independent of the polars version the
//! Python side runs, unlike polars' internal series exchange.

use polars::prelude::{CompatLevel, DataFrame};
use polars_arrow::array::{Array, StructArray};
use polars_arrow::datatypes::{ArrowDataType, Field};
use polars_arrow::ffi::{export_iterator, ArrowArrayStream};
use pyo3::prelude::*;
use pyo3::types::PyCapsule;

/// A PolicyLens table (documents, clauses or segments) as Arrow record
/// batches. Read it with `polars.DataFrame(table)` or
/// `pyarrow.table(table)`.
#[pyclass(module = "policylens._native", frozen)]
pub struct Table {
    frame: DataFrame,
}

impl Table {
    pub fn new(mut frame: DataFrame) -> Self {
        frame.align_chunks();
        Self { frame }
    }
}

#[pymethods]
impl Table {
    /// Export the rows as an `ArrowArrayStream` capsule. A schema request
    /// is not honoured: the table's own types are what `policylens label`
    /// writes to Parquet.
    #[pyo3(signature = (requested_schema=None))]
    fn __arrow_c_stream__<'py>(
        &self,
        py: Python<'py>,
        requested_schema: Option<Bound<'py, PyAny>>,
    ) -> PyResult<Bound<'py, PyCapsule>> {
        let _ = requested_schema;
        let stream = arrow_stream(&self.frame);
        PyCapsule::new_with_value(py, stream, c"arrow_array_stream")
    }

    fn __len__(&self) -> usize {
        self.frame.height()
    }

    /// Column names, in order.
    #[getter]
    fn columns(&self) -> Vec<String> {
        self.frame
            .get_column_names()
            .iter()
            .map(|n| n.to_string())
            .collect()
    }
}

/// The frame's chunks as a C stream of struct arrays, one per record batch.
/// The buffers are shared with the frame (reference counted), not copied.
fn arrow_stream(frame: &DataFrame) -> ArrowArrayStream {
    let fields: Vec<Field> = frame
        .columns()
        .iter()
        .map(|c| c.field().to_arrow(CompatLevel::newest()))
        .collect();
    let dtype = ArrowDataType::Struct(fields);
    let batches: Vec<Box<dyn Array>> = frame
        .iter_chunks(CompatLevel::newest(), false)
        .map(|batch| {
            let len = batch.height();
            StructArray::new(dtype.clone(), len, batch.into_arrays(), None).boxed()
        })
        .collect();
    export_iterator(
        Box::new(batches.into_iter().map(Ok)),
        Field::new("".into(), dtype, false),
    )
}
